"""Organizer sign-ins can be revoked: a session and secret per sign-in, deleted on sign-out,
all of them on a password change; the remember cookie lasts a month, Lax, Secure under https."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import PASSWORD

PRIVATE = "/organizer/"


def _signed_in(app, cookies: dict[str, str]) -> bool:
    """Whether a fresh browser holding only these cookies reaches the organizer's page."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other.get(PRIVATE).status_code == 200


def _cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name, domain="localhost").value
            for name in ("session", "remember_token")
            if client.get_cookie(name, domain="localhost") is not None}


def test_cookies_copied_before_sign_out_no_longer_work(app, client, auth, make_organizer):
    organizer = make_organizer()
    auth.organizer(organizer.email)
    stolen = _cookies(client)
    assert set(stolen) == {"session", "remember_token"}
    assert _signed_in(app, stolen)
    assert _signed_in(app, {"remember_token": stolen["remember_token"]})  # it is remembered
    client.post("/organizer/sign-out")
    assert not _signed_in(app, stolen)
    assert not _signed_in(app, {"session": stolen["session"]})
    assert not _signed_in(app, {"remember_token": stolen["remember_token"]})


def test_each_sign_in_has_its_own_secret(app, client, auth, make_organizer):
    """The laptop and the phone at the door: two sessions, each signed out on its own."""
    organizer = make_organizer()
    auth.organizer(organizer.email)
    laptop = _cookies(client)["remember_token"]
    phone_browser = app.test_client()
    phone_browser.post("/organizer/sign-in",
                       data={"email": organizer.email, "password": PASSWORD})
    phone = _cookies(phone_browser)["remember_token"]
    assert laptop.split("|")[0] != phone.split("|")[0]
    assert _signed_in(app, {"remember_token": laptop})
    assert _signed_in(app, {"remember_token": phone})
    phone_browser.post("/organizer/sign-out")
    assert not _signed_in(app, {"remember_token": phone})
    assert _signed_in(app, {"remember_token": laptop})
    assert client.get(PRIVATE).status_code == 200


def test_a_password_change_signs_out_everywhere(app, client, auth, make_organizer, runner):
    organizer = make_organizer()
    auth.organizer(organizer.email)
    cookies = _cookies(client)
    other = app.test_client()
    other.post("/organizer/sign-in", data={"email": organizer.email, "password": PASSWORD})
    from eventnet.services.organizers import change_password

    change_password(organizer.id, "another long password")
    assert not _signed_in(app, cookies)
    assert other.get(PRIVATE).status_code == 302
    assert auth.organizer(organizer.email, "another long password").status_code == 302
    result = runner.invoke(args=["organizers", "password", organizer.email, "--password-stdin"],
                           input="a third long password\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert client.get(PRIVATE).status_code == 302  # this browser too


def test_the_remember_cookie_lasts_a_month_lax_and_secure_under_https(app, client,
                                                                      make_organizer):
    organizer = make_organizer()
    response = client.post("/organizer/sign-in",
                           data={"email": organizer.email, "password": PASSWORD})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie")
                if c.startswith("remember_token=")]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    expires = client.get_cookie("remember_token", domain="localhost").expires
    month = datetime.now(UTC) + timedelta(days=30)
    assert abs((expires - month).total_seconds()) < 3600
    from eventnet import create_app

    https = create_app({"EVENTNET_BASE_URL": "https://meet.example.org", "TESTING": True,
                        "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40})
    assert https.config["REMEMBER_COOKIE_SECURE"] is True
    assert https.config["SESSION_COOKIE_SECURE"] is True


def test_a_sign_in_ends_after_a_month_whatever_its_cookie_says(app, client, auth,
                                                               make_organizer):
    from sqlalchemy import update

    from eventnet.database import write_transaction
    from eventnet.models import OrganizerSession, utcnow

    organizer = make_organizer()
    auth.organizer(organizer.email)
    assert client.get(PRIVATE).status_code == 200
    with write_transaction() as session:
        session.execute(update(OrganizerSession).values(
            created_at=utcnow() - timedelta(days=31)))
    assert client.get(PRIVATE).status_code == 302
