/* eventnet door check-in: each badge the camera reads is checked in at once, network or not.
 * Green: checked in. Amber: already checked in at HH:MM. Red: not registered / revoked.
 *
 * Online, the server answers. Without network (or when it does not answer), the page answers
 * from the event's roster kept in IndexedDB (names and badge tokens only, refreshed whenever
 * the network is there) and keeps the check-in in a queue there. The queue is sent when the
 * network returns; every read carries a client id, so a check-in sent twice is recorded once,
 * and the server keeps the earliest read of a badge read on two devices. No switch: the page
 * tries the network first and falls back by itself.
 */
(function () {
  "use strict";

  const root = document.getElementById("checkin");
  if (!root) return;
  const T = JSON.parse(document.getElementById("checkin-text").textContent);
  const $ = (id) => document.getElementById(id);
  const cfg = root.dataset;
  const pluralRules = new Intl.PluralRules(document.documentElement.lang || undefined);
  const counted = (forms, n) => forms[pluralRules.select(n) === "one" ? 0 : 1]
    .replace("%(num)s", String(n));
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  const hhmm = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: cfg.timezone || "UTC",
  });
  const urls = { scan: cfg.url, roster: cfg.roster, sync: cfg.sync };
  let csrf = cfg.csrf; // a newer one comes with each roster (the kept page may be old)
  const TIMEOUT_MS = 8000; // venue Wi-Fi can leave a request hanging: answer from the roster
  const ROSTER_EVERY_MS = 60000;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  // The badge token in what a QR code holds: a bare token or a …/b/<token> URL.
  function tokenOf(text) {
    let token = text.trim();
    if (token.includes("/b/")) token = token.slice(token.lastIndexOf("/b/") + 3);
    return token.split("?")[0].split("#")[0].replace(/^\/+|\/+$/g, "");
  }

  // --- IndexedDB: the roster (one record) and the queue (by client id) ----------------------
  const DB_NAME = "eventnet-checkin-" + cfg.event;
  let dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => {
          req.result.createObjectStore("roster");
          req.result.createObjectStore("queue", { keyPath: "client_id" });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }
  async function withStore(name, mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = fn(tx.objectStore(name));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  const queuePut = (item) => withStore("queue", "readwrite", (s) => s.put(item));
  const queueDelete = (id) => withStore("queue", "readwrite", (s) => s.delete(id));
  const queueAll = () => withStore("queue", "readonly", (s) => s.getAll());

  // --- the roster, in memory and kept -------------------------------------------------------
  let byToken = new Map(); // badge token → {id, name, checked_in_at}
  let revoked = new Set();
  let hasRoster = false;
  const queuedAt = new Map(); // attendee id → earliest queued read time (ISO)

  function useRoster(roster) {
    hasRoster = !!roster;
    byToken = new Map();
    revoked = new Set(roster ? roster.revoked : []);
    for (const person of roster ? roster.attendees : []) {
      for (const token of person.badges) byToken.set(token, person);
    }
    const count = roster ? roster.attendees.length : 0;
    $("checkin-roster").textContent = roster ? counted(T.roster, count) : "";
    root.dataset.rosterSize = roster ? String(count) : "none";
  }

  async function refreshRoster() {
    let response;
    try {
      response = await timed(urls.roster, { headers: { Accept: "application/json" } });
    } catch (_) {
      return false; // offline: keep what we have
    }
    if ([401, 403, 404].includes(response.status)) {
      // Signed out, or no longer on the team: this device keeps no names for them.
      await withStore("roster", "readwrite", (s) => s.delete("roster"));
      useRoster(null);
      return false;
    }
    if (!response.ok) return false;
    const body = await response.json();
    csrf = body.csrf_token || csrf;
    const roster = { attendees: body.attendees, revoked: body.revoked, fetched_at: Date.now() };
    await withStore("roster", "readwrite", (s) => s.put(roster, "roster"));
    useRoster(roster);
    return true;
  }

  function markCheckedIn(attendeeId, iso) {
    for (const person of byToken.values()) {
      if (person.id === attendeeId && (!person.checked_in_at || iso < person.checked_in_at)) {
        person.checked_in_at = iso;
      }
    }
  }

  // --- display ---------------------------------------------------------------------------
  let printUrl = null;
  const layoutSelect = $("print-layout");
  const LAYOUT_KEY = "eventnet-checkin-print-layout";
  function updatePrint() {
    const link = $("checkin-print");
    link.hidden = !printUrl;
    if (printUrl) link.href = printUrl + "?layout=" + encodeURIComponent(layoutSelect.value);
  }
  layoutSelect.value = localStorage.getItem(LAYOUT_KEY) || layoutSelect.value;
  layoutSelect.addEventListener("change", () => {
    localStorage.setItem(LAYOUT_KEY, layoutSelect.value);
    updatePrint();
  });
  const serverPrint = $("checkin-print").getAttribute("href");
  if (serverPrint) printUrl = serverPrint.split("?")[0];
  updatePrint();

  function show(colour, title, detail, print) {
    const box = $("checkin-result");
    box.hidden = false;
    box.className = "result checkin-result " + colour;
    $("checkin-title").textContent = title;
    $("checkin-detail").textContent = detail || "";
    printUrl = print || null;
    updatePrint();
    root.dataset.lastResult = colour;
  }

  async function showQueue() {
    const items = await queueAll();
    queuedAt.clear();
    for (const item of items) {
      const at = queuedAt.get(item.attendee_id);
      if (!at || item.read_at < at) queuedAt.set(item.attendee_id, item.read_at);
    }
    const el = $("checkin-queue");
    el.hidden = items.length === 0;
    el.textContent = items.length ? counted(T.waiting, items.length) : "";
    root.dataset.queued = String(items.length);
  }

  // --- the network -------------------------------------------------------------------------
  function timed(url, options) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    return fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store",
      signal: abort.signal }, options)).finally(() => clearTimeout(timer));
  }
  function post(url, body) {
    return timed(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
  }

  // Resolves to the server's answer, or null when it cannot give one now.
  async function askServer(item) {
    let response;
    try {
      response = await post(urls.scan, item);
    } catch (_) {
      return null;
    }
    if (response.status === 429 || response.status >= 500) return null;
    if (!(response.headers.get("Content-Type") || "").includes("json")) {
      // signed out: the request was sent on to the sign-in page
      return { ok: false, body: { error: { message: T.signedOut } } };
    }
    let body = {};
    try { body = await response.json(); } catch (_) { body = {}; }
    return { ok: response.ok, body };
  }

  // The same three answers from the kept roster; a new check-in goes to the queue.
  async function answerOffline(item) {
    if (!hasRoster) { show("red", T.noRoster, ""); return; }
    const token = tokenOf(item.badge);
    if (revoked.has(token)) { show("red", T.revoked, ""); return; }
    const person = byToken.get(token);
    if (!person) { show("red", T.unknown, ""); return; }
    const queued = queuedAt.get(person.id);
    const first = [person.checked_in_at, queued].filter(Boolean).sort()[0];
    if (first) {
      // nothing new to keep: the first check-in is on the server or already queued
      show("amber", fill(T.already, { time: hhmm.format(new Date(first)), name: person.name }));
      return;
    }
    await queuePut(Object.assign({ attendee_id: person.id }, item));
    await showQueue();
    show("green", fill(T.checkedIn, { name: person.name }), T.kept);
  }

  let holding = !!$("onsite-badge"); // a walk-in's new badge is on screen
  async function onCode(text) {
    if (holding) {
      $("camera-status").textContent = T.paused;
      root.dataset.heldReads = String(Number(root.dataset.heldReads || 0) + 1);
      return;
    }
    const item = { client_id: uuid(), badge: text.trim(), read_at: new Date().toISOString() };
    show("checking", T.checking, ""); // not amber: that says "already checked in"
    const answer = await askServer(item);
    if (!answer) { await answerOffline(item); return; }
    const body = answer.body;
    if (answer.ok) {
      const who = body.attendee || {};
      if (body.checked_in_iso) markCheckedIn(who.id, body.checked_in_iso);
      show(body.result, body.message, [who.title, who.company].filter(Boolean).join(" · "),
        body.print_url);
    } else {
      show("red", (body.error && body.error.message) || T.unknown, "");
    }
  }

  // --- sending the queue -------------------------------------------------------------------
  let syncing = false;
  let syncAgain = false; // asked while sending (the network came back meanwhile): once more
  async function sync() {
    if (syncing) { syncAgain = true; return; }
    syncing = true;
    syncAgain = false;
    try {
      const items = await queueAll();
      if (!items.length) return;
      if (!(await refreshRoster())) return; // offline or signed out: later
      for (let start = 0; start < items.length; start += 500) {
        const batch = items.slice(start, start + 500).map(
          (item) => ({ client_id: item.client_id, badge: item.badge, read_at: item.read_at }));
        let response;
        try {
          response = await post(urls.sync, { checkins: batch });
        } catch (_) {
          return;
        }
        if (!response.ok) return; // answered for good only with 200; try again later
        const body = await response.json();
        for (const result of body.results) await queueDelete(result.client_id);
      }
      await refreshRoster(); // the times the server kept (the earliest of every device)
    } finally {
      syncing = false;
      await showQueue();
      if (syncAgain) sync();
    }
  }

  async function tick() {
    if ((await queueAll()).length) await sync();
    else if (!lastRefresh || Date.now() - lastRefresh > ROSTER_EVERY_MS) {
      lastRefresh = Date.now();
      await refreshRoster();
    }
  }
  let lastRefresh = 0;

  async function start() {
    const kept = await withStore("roster", "readonly", (s) => s.get("roster"));
    useRoster(kept || null);
    await showQueue();
    root.dataset.ready = "yes";
    window.addEventListener("online", sync);
    setInterval(tick, 10000);
    lastRefresh = Date.now();
    await refreshRoster();
    await sync();
  }
  start();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.sw, { scope: "/" }).then(
      (registration) => { root.dataset.offlineReady = registration.active ? "yes" : "installing"; },
      () => { root.dataset.offlineReady = "no"; });
  }

  // --- a walk-in's badge stays on screen until staff press Done ----------------------------
  if (holding) {
    $("onsite-done").addEventListener("click", (event) => {
      event.preventDefault();
      $("onsite-badge").remove();
      holding = false;
      $("checkin-result").hidden = true;
      $("camera-status").textContent = T.ready;
      // the page was the answer to a POST: a reload must not register them again
      history.replaceState(null, "", event.currentTarget.href);
    });
  }

  // --- typing a badge code (a damaged badge, no camera) ----------------------------------
  $("manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.elements.badge;
    if (input.value.trim()) onCode(input.value);
    input.value = "";
  });

  $("camera-status").textContent = holding ? T.paused : T.starting;
  window.EventnetCamera.start($("camera"), onCode, { wasmUrl: cfg.wasm })
    .then(() => {
      if (!holding) $("camera-status").textContent = T.ready;
      root.dataset.camera = "on";
    })
    .catch((err) => {
      root.dataset.cameraProblem = window.EventnetCamera.explain(
        err, T, $("camera-status"), $("camera-detail"));
      $("camera").hidden = true;
      root.dataset.camera = "off";
    });
})();
