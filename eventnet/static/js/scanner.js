/* eventnet in-app scanner: each badge read is recorded at once through POST /api/v1/scans.
 *
 * Never lose a scan: every read is first written to IndexedDB with a client-generated id,
 * then sent; it leaves IndexedDB only when the server answered for good (recorded, or
 * refused with a reason). Offline reads wait there and are sent when the network returns;
 * a scan sent twice (a retry, two tabs) carries the same client_id and is recorded once.
 */
(function () {
  "use strict";

  const root = document.getElementById("scanner");
  if (!root) return;
  const T = JSON.parse(document.getElementById("scanner-text").textContent);
  // Counted strings come as [one, other]; the page's language says which one a number takes.
  const pluralRules = new Intl.PluralRules(document.documentElement.lang || undefined);
  const counted = (forms, n) => forms[pluralRules.select(n) === "one" ? 0 : 1]
    .replace("%(num)s", String(n));
  const cfg = root.dataset;
  const $ = (id) => document.getElementById(id);
  const STORE = "queue";
  let DB_NAME = null; // "eventnet-scans-<attendee id>", once we know who is signed in

  // --- who is scanning ---------------------------------------------------------------------
  // The page holds nothing personal (the service worker keeps it to open offline): the
  // attendee and their API token come from the server when online. Only who they are (not
  // the token) is remembered on the phone, so scans taken offline go to their queue.
  const WHO_KEY = "eventnet-scanner:" + cfg.event;
  let session = null; // {attendee: {id, name}, token}, fetched while online
  function rememberedWho() {
    try { return JSON.parse(localStorage.getItem(WHO_KEY)); } catch (_) { return null; }
  }
  function showWho(who) {
    $("scanner-who").textContent = who ? who.name : "";
    if (!DB_NAME && who) DB_NAME = "eventnet-scans-" + who.id;
    if (who) root.dataset.attendee = String(who.id);
  }
  async function loadSession() {
    let response;
    try {
      response = await fetch(cfg.session, { credentials: "same-origin", cache: "no-store" });
    } catch (_) {
      return null; // offline: keep what we had
    }
    if (response.status === 401) {
      session = null;
      localStorage.removeItem(WHO_KEY);
      setStatus(T.signedOut);
      return null;
    }
    if (!response.ok) return null;
    session = await response.json();
    localStorage.setItem(WHO_KEY, JSON.stringify(session.attendee));
    const name = "eventnet-scans-" + session.attendee.id;
    if (DB_NAME && DB_NAME !== name) { // someone else signed in on this phone: their queue
      DB_NAME = name;
      dbPromise = null;
    }
    showWho(session.attendee);
    return session;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- IndexedDB queue -------------------------------------------------------------------
  let dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "client_id" });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }
  async function withStore(mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  const queuePut = (item) => withStore("readwrite", (s) => s.put(item));
  const queueDelete = (id) => withStore("readwrite", (s) => s.delete(id));
  const queueAll = () => withStore("readonly", (s) => s.getAll());

  // --- display ---------------------------------------------------------------------------
  function setStatus(text) { $("scanner-status").textContent = text; }

  async function showQueue() {
    const items = await queueAll();
    const el = $("queue-status");
    el.hidden = items.length === 0;
    el.textContent = items.length ? counted(T.waiting, items.length) : "";
    root.dataset.queued = String(items.length);
    // The card said "kept on this phone": once nothing is kept any more, it is no longer true.
    if (items.length === 0 && cardIsQueued) {
      $("scan-result").hidden = true;
      cardIsQueued = false;
      root.dataset.lastResult = "synced";
    }
  }

  function logLine(text, cls) {
    const li = document.createElement("li");
    li.textContent = text;
    if (cls) li.className = cls;
    $("scan-log").prepend(li);
    while ($("scan-log").children.length > 20) $("scan-log").lastChild.remove();
  }

  let cardIsQueued = false; // the card shows a scan kept on the phone (offline, server busy)
  function showCard(cls, title, detail, queued) {
    cardIsQueued = Boolean(queued);
    const card = $("scan-result");
    card.hidden = false;
    card.className = "result " + cls;
    $("scan-result-title").textContent = title;
    $("scan-result-detail").textContent = detail || "";
  }

  let current = null; // the connection shown, for the note form
  function showRecorded(body) {
    const p = body.connection.person;
    const detail = [p.title, p.company].filter(Boolean).join(" · ");
    // one-way so far: their contact details come once they scan this attendee back
    const pending = body.connection.contact_when_mutual ? T.scanBack : "";
    showCard("green", (body.scan.is_new ? T.saved : T.already).replace("%(name)s", p.name),
             [detail, pending].filter(Boolean).join(" — "));
    current = body.connection;
    const form = $("note-form");
    form.hidden = false;
    form.elements.note.value = current.note || "";
    for (const box of form.querySelectorAll("input[name=tags]")) {
      box.checked = (current.tags || []).includes(box.value);
    }
    logLine(p.name + (detail ? " — " + detail : ""), "ok");
    root.dataset.lastResult = "recorded";
  }

  function showRefused(message) {
    showCard("red", message, "");
    $("note-form").hidden = true;
    current = null;
    logLine(message, "bad");
    root.dataset.lastResult = "refused";
  }

  // --- sending ---------------------------------------------------------------------------
  // Venue Wi-Fi can leave a request hanging: give up after a while (the scan stays queued).
  const TIMEOUT_MS = 8000;
  async function api(method, url, body) {
    // Only the attendee whose queue this is sends it (someone else may be signed in now).
    const isOwner = () => session && "eventnet-scans-" + session.attendee.id === DB_NAME;
    if (!isOwner()) await loadSession();
    if (!isOwner()) throw new Error("not signed in as the owner of this queue");
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    return fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + session.token },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal: abort.signal,
    }).finally(() => clearTimeout(timer));
  }

  // Resolves to "done" (answered for good), "later" (offline, rate limited, server error).
  async function deliver(item, shown) {
    let response;
    try {
      response = await api("POST", cfg.api, item);
    } catch (_) {
      if (shown) {
        showCard("amber", T.offline, "", true);
        $("note-form").hidden = true;
        root.dataset.lastResult = "queued";
      }
      return "later";
    }
    if (response.status === 429 || response.status >= 500) {
      if (shown) showCard("amber", T.later, "", true);
      return "later";
    }
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    await queueDelete(item.client_id);
    if (response.ok && body) {
      if (shown) showRecorded(body);
      else logLine(T.synced.replace("%(name)s", body.connection.person.name), "ok");
    } else {
      const message = (body && body.error && body.error.message) || T.failed;
      if (shown) showRefused(message);
      else logLine(message, "bad");
    }
    return "done";
  }

  let syncing = false;
  async function sync() {
    if (syncing) return;
    syncing = true;
    try {
      const items = (await queueAll()).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
      for (const item of items) {
        if ((await deliver(item, false)) === "later") break;
      }
    } finally {
      syncing = false;
      await showQueue();
    }
  }

  async function onCode(text) {
    if (!DB_NAME) { showRefused(T.signedOut); return; }
    const item = {
      client_id: uuid(), badge: text.trim(), scanned_at: new Date().toISOString(),
      source: "scanner",
    };
    await queuePut(item); // first on the phone, then on the network
    await showQueue();
    showCard("amber", T.saving, "");
    await deliver(item, true);
    await showQueue();
  }

  // --- note and tags on the last connection ------------------------------------------------
  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const form = event.target;
    const tags = Array.from(form.querySelectorAll("input[name=tags]:checked"), (b) => b.value);
    try {
      const response = await api("PATCH", cfg.connections + current.id,
        { note: form.elements.note.value, tags });
      const body = await response.json();
      $("note-status").textContent = response.ok ? T.noteSaved : body.error.message;
      if (response.ok) current = body;
    } catch (_) {
      $("note-status").textContent = T.noteOffline;
    }
  });

  // --- typing a badge code when there is no camera -----------------------------------------
  $("manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.elements.badge;
    if (input.value.trim()) onCode(input.value);
    input.value = "";
  });

  async function start() {
    showWho(rememberedWho());
    const fresh = loadSession();
    if (!DB_NAME) await fresh; // first visit: we need to know who is scanning
    if (!DB_NAME) return; // signed out, or never seen online
    window.addEventListener("online", sync);
    setInterval(sync, 10000);
    await showQueue();
    root.dataset.ready = "yes";
    await fresh;
    await sync();
  }
  start();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.sw, { scope: "/" }).then(
      (registration) => { root.dataset.offlineReady = registration.active ? "yes" : "installing"; },
      () => { root.dataset.offlineReady = "no"; });
  }

  // The decoder loads with the page (while online); the camera starts on a tap.
  const detector = window.EventnetCamera.makeQrDetector(cfg.wasm);
  detector.then(() => { root.dataset.decoder = "ready"; }, () => { root.dataset.decoder = "none"; });
  $("camera-start").addEventListener("click", () => {
    $("camera-start").hidden = true;
    setStatus(T.starting);
    window.EventnetCamera.start($("camera"), onCode, { detector })
      .then(() => { setStatus(T.ready); root.dataset.camera = "on"; })
      .catch((err) => {
        root.dataset.cameraProblem = window.EventnetCamera.explain(
          err, T, $("scanner-status"), $("camera-detail"));
        $("manual-form").hidden = false;
        root.dataset.camera = "off";
      });
  });
})();
