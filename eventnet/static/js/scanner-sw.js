/* eventnet scanner service worker: the scanner and the door's check-in open with no network.
 *
 * Served by Flask at /sw.js (web/scan/offline.py), which fills in VERSION (a hash of the
 * files below and of this script) and ASSETS: a deploy that changes any of them changes
 * this script, so the browser installs the new worker, which caches the new files under a
 * new name and deletes the old caches. Nothing else is cached: API answers (per attendee)
 * and every other page go straight to the network.
 *
 * - static files of the scanner (CSS, JS, the vendored decoder and its wasm): from the
 *   cache of this version, filled at install;
 * - the scanner page (/e/<slug>/scan, and /scan, which redirects there): from the network
 *   when it answers (and kept for later), else the copy kept from the last visit. The page
 *   holds no secret: the scanner fetches the attendee's token from the server when online.
 * - the door's check-in page (/events/<slug>/checkin, without a search): the same way. Its
 *   roster and queue live in IndexedDB (static/js/checkin.js), not in this cache.
 */
"use strict";

const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const STATIC_CACHE = "eventnet-scanner-static-" + VERSION;
const PAGES_CACHE = "eventnet-scanner-pages";
const NETWORK_WAIT_MS = 4000; // venue Wi-Fi that hangs: show the kept page after this

const SCANNER_PAGE = /^\/e\/[^/]+\/scan$/;
const CHECKIN_PAGE = /^\/events\/[^/]+\/checkin$/;
const isKept = (path) => SCANNER_PAGE.test(path) || CHECKIN_PAGE.test(path);

async function keepPage(response, path) {
  const cache = await caches.open(PAGES_CACHE);
  // the same scanner page answers /scan offline (online, /scan redirects to it)
  const paths = SCANNER_PAGE.test(path) ? [path, "/scan"] : [path];
  await Promise.all(paths.map((key) => cache.put(key, response.clone())));
}

async function keepOpenScanners() {
  // The page that registered this worker was not served through it: keep it now.
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  await Promise.all(windows.map(async (client) => {
    const path = new URL(client.url).pathname;
    if (!isKept(path)) return;
    try {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (response.status === 200 && isKept(new URL(response.url).pathname)) {
        await keepPage(response, path);
      }
    } catch (_) { /* offline during install: the next visit keeps it */ }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(STATIC_CACHE);
    await cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
    await keepOpenScanners();
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith("eventnet-scanner-static-") && name !== STATIC_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function keptPage(request, path, search) {
  const cache = await caches.open(PAGES_CACHE);
  const network = fetch(request).then(async (response) => {
    // Only the page itself (not a redirect to sign in, not the list of events, not a search).
    if (response.status === 200 && isKept(path) && !search) {
      await keepPage(response, path);
    }
    return response;
  });
  network.catch(() => {}); // answered from the cache meanwhile: nothing to report
  const kept = await cache.match(path);
  if (!kept) return network; // never seen: the browser's own offline page if it fails
  const slow = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
  try {
    return (await Promise.race([network, slow])) || kept;
  } catch (_) {
    return kept;
  }
}

async function asset(request) {
  const cache = await caches.open(STATIC_CACHE);
  return (await cache.match(request, { ignoreSearch: true })) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === "/scan" || isKept(url.pathname))) {
    event.respondWith(keptPage(request, url.pathname, url.search));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});
