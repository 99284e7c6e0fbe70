"""The baseline of bench_scans.py: a Flask JSON POST that returns 201 and does nothing else.

Served by gunicorn with eventnet's own gunicorn.conf.py, it measures what the machine, the
server and Flask cost before eventnet does any work:

    gunicorn -c gunicorn.conf.py benchmarks.trivial_app:app
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/scans")
def scans() -> Any:
    """Parse the JSON body like the real endpoint; 400 without a badge (the drain requests)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("badge"):
        return jsonify({"error": {"code": "missing_badge", "message": "no badge"}}), 400
    return jsonify({"scan": {"id": 1, "client_id": body.get("client_id"), "is_new": True,
                             "is_counted": True}}), 201
