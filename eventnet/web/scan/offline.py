"""The scanner's service worker: ``/sw.js``, so the scanner and the door's check-in page open
with no network.

Served from the root (its scope must cover both ``/scan`` and ``/e/<slug>/scan``) by a
route rather than from ``/static`` so that it carries the version of the files it caches:
a hash of their bytes. Any deploy that changes one of them changes the worker's script,
which the browser checks on every visit (``no-cache``), so stale files never outlive a
deploy by more than one page load.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, url_for

from eventnet.web.scan import bp

#: the static files of the scanner page and of the door's check-in page (their templates
#: load exactly these)
SCANNER_ASSETS = ("css/app.css", "favicon.svg", "vendor/barcode-detector/ponyfill.js",
                  "js/qr-camera.js", "js/scanner.js", "js/checkin.js", "js/signout.js",
                  "vendor/zxing-wasm/zxing_reader.wasm")
_SOURCE = "js/scanner-sw.js"


@lru_cache(maxsize=4)
def _worker(static_folder: str, asset_urls: tuple[str, ...], mtimes: tuple[float, ...]) -> str:
    """The worker's script with its version and asset list (cached until a file changes)."""
    folder = Path(static_folder)
    source = (folder / _SOURCE).read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    for name in SCANNER_ASSETS:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return (source.replace("__VERSION__", digest.hexdigest()[:20])
            .replace("__ASSETS__", json.dumps(list(asset_urls))))


def worker_script() -> str:
    """The service worker's JavaScript for this deploy."""
    folder = Path(current_app.static_folder or "")
    mtimes = tuple((folder / name).stat().st_mtime for name in (_SOURCE, *SCANNER_ASSETS))
    urls = tuple(url_for("static", filename=name) for name in SCANNER_ASSETS)
    return _worker(str(folder), urls, mtimes)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The scanner's service worker (root scope; see ``static/js/scanner-sw.js``)."""
    response = Response(worker_script(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
