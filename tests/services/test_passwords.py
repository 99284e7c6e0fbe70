"""Passwords are stored with scrypt at its standard cost; the test suite's cheap hash is its own.

The ``app`` fixture passes ``PASSWORD_HASH_METHOD`` (``tests.conftest.CHEAP_PASSWORD_HASH``)
so that the hundreds of organizers the tests make cost nothing; these tests check that an app
that is not TESTING ignores it, and that a real scrypt hash signs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from eventnet.models.organizer import PASSWORD_HASH_METHOD
from tests.conftest import CHEAP_PASSWORD_HASH, PASSWORD


@pytest.fixture
def production_app(app: Any) -> Iterator[Any]:
    """An app on the same database as ``app``, configured as a server is (not TESTING), and
    given the tests' cheap method all the same."""
    from eventnet import create_app
    from eventnet.extensions import db

    served = create_app({**app.config, "TESTING": False,
                         "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH})
    yield served
    with served.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_standard_is_scrypt_at_its_usual_cost() -> None:
    assert PASSWORD_HASH_METHOD == "scrypt:32768:8:1"  # N=2**15, r=8, p=1


def test_a_server_stores_scrypt_whatever_its_config_says(app, production_app, client):
    from eventnet.models import Organizer
    from eventnet.services.organizers import (
        authenticate,
        change_password,
        create_organizer,
        dummy_hash,
        password_hash_method,
    )

    with production_app.app_context():
        assert password_hash_method() == PASSWORD_HASH_METHOD
        assert dummy_hash().startswith(PASSWORD_HASH_METHOD + "$")  # unknown emails cost as much
        organizer = create_organizer("real@example.org", PASSWORD)
        assert organizer.password_hash.startswith(PASSWORD_HASH_METHOD + "$")
        assert authenticate("real@example.org", PASSWORD) is not None
        assert authenticate("real@example.org", PASSWORD + "!") is None
        assert authenticate("nobody@example.org", PASSWORD) is None
        change_password(organizer.id, "another long password")
        from eventnet.extensions import db

        stored = db.session.get(Organizer, organizer.id)
        assert stored is not None and stored.password_hash.startswith(PASSWORD_HASH_METHOD + "$")
        db.session.remove()

    # The tests' app signs in with the scrypt hash through the real page.
    response = client.post("/organizer/sign-in",
                           data={"email": "real@example.org", "password": "another long password"})
    assert response.status_code == 302
    wrong = client.post("/organizer/sign-in",
                        data={"email": "real@example.org", "password": PASSWORD})
    assert wrong.status_code == 422


def test_the_tests_own_apps_use_the_cheap_method(app, make_organizer):
    from eventnet.services.organizers import authenticate, dummy_hash

    organizer = make_organizer("cheap@example.org")
    assert organizer.password_hash.startswith(CHEAP_PASSWORD_HASH + "$")
    assert dummy_hash().startswith(CHEAP_PASSWORD_HASH + "$")
    assert authenticate("cheap@example.org", PASSWORD) is not None
    assert authenticate("cheap@example.org", "not the password") is None
