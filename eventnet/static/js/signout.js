/* eventnet sign-out: what a device keeps for offline use leaves with the session.
 *
 * The organizer's sign-out answers with `Clear-Site-Data: "cache", "storage"`: the browser
 * deletes everything the site keeps on it (the door's rosters and queues, attendees' queued
 * scans, the service worker and its kept pages). This script
 * - asks first when check-ins or scans kept on this device have not reached the server yet:
 *   signing out would delete them (staff can stay signed in until the network sends them);
 * - sends the sign-out itself and, once the server has signed out, deletes the door's
 *   rosters and kept check-in pages too, for browsers that ignore the header (an http://
 *   address other than localhost is not a secure context). Offline, or when the server
 *   refuses, the form is sent as it is and the browser shows what happened: nothing deleted.
 * An attendee's sign-out (`data-forget`) deletes who the scanner remembers on this device
 * (their name) and keeps their queued scans: they are sent when they sign in again.
 */
(function () {
  "use strict";

  const DOOR_DB = /^eventnet-checkin-/;
  const SCANS_DB = /^eventnet-scans-/;
  const PAGES_CACHE = "eventnet-scanner-pages"; // static/js/scanner-sw.js
  const CHECKIN_PAGE = /^\/events\/[^/]+\/checkin$/;
  const FORGET_WAIT_MS = 3000; // at most, for the script's own deletion after the sign-out

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  // Runs fn(store) on a store of a database that exists (databases() listed it).
  async function withStore(dbName, storeName, mode, fn) {
    const db = await request(indexedDB.open(dbName));
    try {
      if (!db.objectStoreNames.contains(storeName)) return 0;
      return await request(fn(db.transaction(storeName, mode).objectStore(storeName)));
    } finally {
      db.close();
    }
  }

  async function eventnetDatabases() {
    if (!window.indexedDB || !indexedDB.databases) return []; // cannot list: nothing to say
    return (await indexedDB.databases()).map((d) => d.name || "")
      .filter((name) => DOOR_DB.test(name) || SCANS_DB.test(name));
  }

  async function unsent(names) {
    let count = 0;
    for (const name of names) {
      count += await withStore(name, "queue", "readonly", (s) => s.count());
    }
    return count;
  }

  async function forgetRosters(names) {
    for (const name of names.filter((n) => DOOR_DB.test(n))) {
      await withStore(name, "roster", "readwrite", (s) => s.clear());
    }
    if (!window.caches || !(await caches.has(PAGES_CACHE))) return; // open() would make it
    const cache = await caches.open(PAGES_CACHE);
    for (const request of await cache.keys()) {
      if (CHECKIN_PAGE.test(new URL(request.url).pathname)) await cache.delete(request);
    }
  }

  // Resolves once the organizer is signed out (false: they stayed, or the browser now shows
  // the server's own answer).
  async function signOutOrganizer(form) {
    const names = await eventnetDatabases();
    const count = await unsent(names);
    if (count) {
      const T = JSON.parse(document.getElementById("sign-out-text").textContent);
      const plural = new Intl.PluralRules(document.documentElement.lang || undefined);
      const text = T.unsent[plural.select(count) === "one" ? 0 : 1].replace("%(num)s", count);
      if (!window.confirm(text)) return false;
    }
    let response;
    try {
      response = await fetch(form.action, { method: "POST", body: new FormData(form),
        credentials: "same-origin", redirect: "manual", cache: "no-store" });
    } catch (_) {
      response = null; // offline
    }
    if (!response || response.type !== "opaqueredirect") {
      submitAsIs(form);
      return false;
    }
    try {
      // A fallback must not keep the organizer on the page: while the browser clears the
      // site's data (the header), opening its databases may wait behind that (seen in CI).
      await Promise.race([eventnetDatabases().then(forgetRosters),
                          new Promise((resolve) => setTimeout(resolve, FORGET_WAIT_MS))]);
    } catch (err) {
      console.warn("sign-out: the door's rosters could not be deleted here", err);
    }
    return true; // signed out: the header deleted them where the browser honours it
  }

  function submitAsIs(form) {
    form.dataset.checked = "yes";
    form.submit();
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-sign-out]") || form.dataset.checked === "yes") return;
    event.preventDefault();
    if (form.dataset.forget) { // an attendee
      try { localStorage.removeItem(form.dataset.forget); } catch (_) { /* no storage */ }
      submitAsIs(form);
      return;
    }
    try {
      if (await signOutOrganizer(form)) location.assign(form.dataset.next);
    } catch (err) {
      console.warn("sign-out: could not look at what this device keeps", err);
      submitAsIs(form);
    }
  });
})();
