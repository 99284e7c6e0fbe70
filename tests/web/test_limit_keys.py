"""The rate limiter's storage (Redis, shared by the app servers) holds no email address."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from tests.clock import limiter_clock  # noqa: F401  (fixture of limited_app)
from tests.web.test_scan_ratelimits import limited_app  # noqa: F401  (fixture)

REDIS_URL = os.environ.get("EVENTNET_TEST_REDIS_URL")


def _ask_for_links_and_sign_in(limited: Any, event: Any, address: str) -> None:
    client = limited.test_client()
    ip = {"REMOTE_ADDR": "10.9.8.7"}
    for _ in range(2):
        client.post(f"/e/{event.slug}/signin", data={"email": address}, environ_base=ip)
        client.post("/organizer/sign-in", data={"email": address, "password": "wrong"},
                    environ_base=ip)


def _stored_keys(limited: Any) -> list[str]:
    from eventnet.extensions import limiter

    with limited.app_context():
        storage = limiter.limiter.storage
        if hasattr(storage, "storage") and isinstance(storage.storage, dict):  # memory
            return [str(k) for k in storage.storage]
        client = storage.storage  # redis
        return [k.decode() for k in client.scan_iter("*")]


def test_per_address_limits_keep_no_address(limited_app, make_event):  # noqa: F811
    limited = limited_app()
    event = make_event()
    address = f"ann.{uuid.uuid4().hex[:8]}@example.org"
    _ask_for_links_and_sign_in(limited, event, address)
    keys = _stored_keys(limited)
    assert any("email:" in k for k in keys), keys  # the per-address limits were counted
    assert not [k for k in keys if address.split("@")[0] in k or "@" in k]


@pytest.mark.skipif(not REDIS_URL, reason="EVENTNET_TEST_REDIS_URL is not set")
def test_redis_holds_no_address(limited_app, make_event):  # noqa: F811
    limited = limited_app(REDIS_URL)
    event = make_event()
    local = f"eve.{uuid.uuid4().hex[:8]}"
    _ask_for_links_and_sign_in(limited, event, f"{local}@example.org")
    keys = _stored_keys(limited)
    assert any("email:" in k for k in keys)
    assert not [k for k in keys if local in k]
