/* eventnet QR camera: the phone's camera in the page, reading QR codes.
 *
 * Uses the browser's BarcodeDetector when it reads QR codes (Android Chrome, macOS Chrome),
 * otherwise the vendored ponyfill (static/vendor/barcode-detector + zxing-wasm): no CDN.
 *
 *   const detector = EventnetCamera.makeQrDetector(wasmUrl);   // early: loads the decoder
 *   const camera = await EventnetCamera.start(videoElement, onCode, {detector});
 *   camera.stop();
 *   EventnetCamera.explain(err, T, statusElement, detailElement);   // when start() failed
 *
 * onCode(text) is called once per code; the same code is ignored for `repeatMs` (default
 * 3 s) so a badge held in front of the camera is not read ten times, while the next badge is
 * read at once.
 */
(function () {
  "use strict";

  async function makeQrDetector(wasmUrl) {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          return new window.BarcodeDetector({ formats: ["qr_code"] });
        }
      } catch (_) { /* fall through to the ponyfill */ }
    }
    if (!window.BarcodeDetectionAPI) throw new Error("no QR decoder available");
    // Load the decoder now, while the network is there: scanning must keep working offline.
    await window.BarcodeDetectionAPI.prepareZXingModule({
      overrides: {
        // Never let zxing-wasm fetch its .wasm from a CDN: venues are often offline.
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
      },
      fireImmediately: true,
    });
    return new window.BarcodeDetectionAPI.BarcodeDetector({ formats: ["qr_code"] });
  }

  async function start(video, onCode, options) {
    const opts = Object.assign({ repeatMs: 3000, intervalMs: 120 }, options || {});
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // browsers offer no camera outside a secure context (https://, localhost)
      throw new DOMException("camera unavailable (the page needs HTTPS)", "NotSupportedError");
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" }, audio: false,
    });
    video.srcObject = stream;
    video.setAttribute("playsinline", "");
    video.muted = true;
    await video.play();
    const detector = await (opts.detector || makeQrDetector(opts.wasmUrl));
    let running = true;
    let lastText = null;
    let lastAt = 0;

    async function loop() {
      while (running) {
        try {
          if (video.readyState >= 2) {
            const codes = await detector.detect(video);
            const now = Date.now();
            if (codes.length) {
              const text = codes[0].rawValue;
              if (text !== lastText || now - lastAt > opts.repeatMs) {
                lastText = text;
                lastAt = now;
                try { onCode(text); } catch (err) { console.warn(err); }
              } else {
                lastAt = now; // still in front of the camera: keep ignoring it
              }
            }
          }
        } catch (err) {
          console.warn("QR decoding failed", err);
        }
        await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
      }
    }
    loop();
    return {
      stop() {
        running = false;
        stream.getTracks().forEach((t) => t.stop());
      },
    };
  }

  // Why the camera did not start, as a key of the page's translated texts (the browser's own
  // message is English and names no remedy): blocked, missing, busy, insecure or other.
  function problem(err) {
    switch (err && err.name) {
      case "NotAllowedError": case "SecurityError": return "blocked";
      case "NotFoundError": case "OverconstrainedError": return "missing";
      case "NotReadableError": return "busy";
      case "NotSupportedError": return "insecure";
      default: return "other";
    }
  }

  // Says why the camera did not start: the page's sentence in `status`, the error's
  // technical name (for whoever helps) in `detail`.
  function explain(err, texts, status, detail) {
    const key = problem(err);
    status.textContent = texts.camera[key] + " " + texts.withoutCamera;
    const name = err && err.name && err.name !== "Error" ? err.name : "";
    detail.textContent = name;
    detail.hidden = !name;
    return key;
  }

  window.EventnetCamera = { start, makeQrDetector, problem, explain };
})();
