/* eventnet door check-in: each badge the camera reads is checked in at once.
 * Green: checked in. Amber: already checked in at HH:MM. Red: not registered / revoked.
 */
(function () {
  "use strict";

  const root = document.getElementById("checkin");
  if (!root) return;
  const T = JSON.parse(document.getElementById("checkin-text").textContent);
  const $ = (id) => document.getElementById(id);

  function show(colour, title, detail) {
    const box = $("checkin-result");
    box.hidden = false;
    box.className = "result checkin-result " + colour;
    $("checkin-title").textContent = title;
    $("checkin-detail").textContent = detail || "";
    root.dataset.lastResult = colour;
  }

  async function onCode(text) {
    show("amber", T.checking, "");
    let response;
    try {
      response = await fetch(root.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify({ badge: text.trim() }),
        credentials: "same-origin",
      });
    } catch (_) {
      show("red", T.offline, "");
      return;
    }
    let body = {};
    try { body = await response.json(); } catch (_) { body = {}; }
    if (response.ok) {
      const who = body.attendee || {};
      show(body.result, body.message, [who.title, who.company].filter(Boolean).join(" · "));
    } else {
      show("red", (body.error && body.error.message) || response.statusText, "");
    }
  }

  $("camera-status").textContent = T.starting;
  window.EventnetCamera.start($("camera"), onCode, { wasmUrl: root.dataset.wasm })
    .then(() => { $("camera-status").textContent = T.ready; })
    .catch((err) => {
      $("camera-status").textContent = T.noCamera + " (" + err.message + ")";
      $("camera").hidden = true;
    });
})();
