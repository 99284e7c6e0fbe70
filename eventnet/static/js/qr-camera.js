/* eventnet QR camera: the phone's camera in the page, reading QR codes.
 *
 * Uses the browser's BarcodeDetector when it reads QR codes (Android Chrome, macOS Chrome),
 * otherwise the vendored ponyfill (static/vendor/barcode-detector + zxing-wasm): no CDN.
 *
 *   const detector = EventnetCamera.makeQrDetector(wasmUrl);   // early: loads the decoder
 *   const camera = await EventnetCamera.start(videoElement, onCode, {detector});
 *   camera.stop();
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
      throw new Error("camera unavailable (the page needs HTTPS)");
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

  window.EventnetCamera = { start, makeQrDetector };
})();
