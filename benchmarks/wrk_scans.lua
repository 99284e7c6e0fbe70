-- wrk script of bench_scans.py (capacity mode): every request is a scan by one of the
-- event's attendees (its Bearer token) of another attendee's badge, with a unique client_id.
--
-- Exact accounting with a closed loop that wrk ends abruptly: scans are only sent during the
-- first RECORD_SECONDS; afterwards every connection sends "drain" requests (no badge: 400,
-- nothing stored), so when wrk stops no scan is in flight and stored == acknowledged.
-- env: BENCH_PAIRS (file: "token badge" per line), BENCH_RECORD_SECONDS, BENCH_RUN (id prefix)
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } eventnet_timespec;
  int clock_gettime(int clk_id, eventnet_timespec *tp);
]]
local ts = ffi.new("eventnet_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  pairs_ = {}
  for line in io.lines(os.getenv("BENCH_PAIRS")) do
    local token, badge = line:match("^(%S+) (%S+)$")
    table.insert(pairs_, {token, badge})
  end
  record_seconds = tonumber(os.getenv("BENCH_RECORD_SECONDS"))
  run = os.getenv("BENCH_RUN")
  started = now()
  first_ok, last_ok = 0, 0
  ok, sent, drained, other = 0, 0, 0, 0
  math.randomseed(tid * 7919 + 17)
end

function request()
  local t = now()
  if t - started > record_seconds then
    -- no token: refused before any work, and no attendee's rate limit is used up
    return wrk.format("POST", "/api/v1/scans", {["Content-Type"] = "application/json"}, "{}")
  end
  counter = counter + 1
  sent = sent + 1
  local n = #pairs_
  local i = math.random(n)
  local j = math.random(n - 1)
  if j >= i then j = j + 1 end
  local body = '{"badge":"' .. pairs_[j][2] .. '","client_id":"' .. run .. '-' .. tid .. '-' ..
    counter .. '"}'
  return wrk.format("POST", "/api/v1/scans", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. pairs_[i][1]}, body)
end

local function t_drain()
  return now() - started > record_seconds
end

function response(status, headers, body)
  if status == 201 or status == 200 then
    local t = now()
    if first_ok == 0 then first_ok = t end
    last_ok = t
    ok = ok + 1
  elseif t_drain() then
    drained = drained + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_total, sent_total, other_total, first, last = 0, 0, 0, nil, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    sent_total = sent_total + t:get("sent")
    other_total = other_total + t:get("other")
    local f, l = t:get("first_ok"), t:get("last_ok")
    if f > 0 and (first == nil or f < first) then first = f end
    if l > last then last = l end
  end
  io.write(string.format('BENCH {"ok": %d, "sent": %d, "other": %d, "seconds": %.4f, ' ..
    '"socket_errors": %d}\n', ok_total, sent_total, other_total, last - (first or last),
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
