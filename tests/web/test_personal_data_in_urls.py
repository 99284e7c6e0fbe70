"""No email address or name in a URL eventnet makes, and none in its access log: URLs reach
access logs and Referer headers. After registering, the "check your inbox" page shows the
address once, from the session; the organizer's searches are logged as ``[search]``."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from tests.web.test_registration_pages import form


def _register(client, event, email):
    response = client.post(f"/e/{event.slug}", data=form(email=email))
    assert response.status_code == 302
    return response.location


def test_the_redirect_carries_no_address_and_the_page_shows_it_once(client, make_event, smtp):
    event = make_event(name="Rust Paris")
    location = _register(client, event, "Ada.Lovelace+meetup@example.org")
    url = urlsplit(location)
    assert url.path == f"/e/{event.slug}/registered" and url.query == ""
    assert "ada" not in location.lower() and "%40" not in location and "@" not in location
    page = client.get(location)
    assert page.status_code == 200
    assert b"We sent an email to Ada.Lovelace+meetup@example.org" in page.data
    # A reload still says what to do, without the address.
    again = client.get(location)
    assert again.status_code == 200
    assert b"example.org" not in again.data
    assert b"personal link" in again.data and b"Rust Paris" in again.data
    assert f"/e/{event.slug}/signin".encode() in again.data


def test_another_browser_sees_nobody_s_address(app, make_event, smtp):
    event = make_event()
    registering, other = app.test_client(), app.test_client()
    location = _register(registering, event, "ada@example.org")
    page = other.get(location)
    assert page.status_code == 200 and b"ada@example.org" not in page.data
    # An address in the query, as links of old made them, is not shown: no one can make
    # the page claim a mail went to an address of their choosing.
    forged = other.get(f"{location}?email=victim%40example.org")
    assert forged.status_code == 200 and b"We sent an email" not in forged.data
    # The registering browser still gets its own, once.
    assert b"ada@example.org" in registering.get(location).data


def test_the_address_is_shown_only_on_the_event_it_was_given_for(client, make_event, smtp):
    first, second = make_event(), make_event()
    _register(client, first, "ada@example.org")
    elsewhere = client.get(f"/e/{second.slug}/registered")
    assert elsewhere.status_code == 200 and b"ada@example.org" not in elsewhere.data
    assert b"ada@example.org" in client.get(f"/e/{first.slug}/registered").data


def test_unknown_event_is_a_404(client):
    assert client.get("/e/no-such-event/registered").status_code == 404


def test_the_french_page_without_the_address(client, make_event):
    event = make_event(name="Rencontre Rust")
    page = client.get(f"/e/{event.slug}/registered", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert b"Rencontre Rust" in page.data and "Après votre inscription".encode() in page.data


def test_the_access_log_holds_no_search(tmp_path):
    """The door and the attendee list search by name or address with ``?q=``: the request
    line, the query, the Referer of the next page and a sign-in page's ``next=`` carry it."""
    from gunicorn.config import Config

    from eventnet.web.access_log import AccessLogger

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s "%({referer}i)s"')
    logger = AccessLogger(cfg)
    for path, query, referer in (
            ("/events/rust/attendees", "filter=checked_in&q=ada%40example.org&page=2", ""),
            ("/events/rust/checkin", "q=Ada+Lovelace", ""),
            ("/events/rust/checkin/7", "q=Ada+Lovelace",
             "https://meet.example.org/events/rust/checkin?q=Ada+Lovelace"),
            ("/organizer/sign-in", "next=%2Fevents%2Frust%2Fattendees%3Fq%3DAda%2BLovelace", ""),
            ("/e/rust/faq", "sq=1&qq=2", "")):
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?{query}", "PATH_INFO": path,
                   "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": referer}
        request = SimpleNamespace(headers=[("REFERER", referer)])
        response = SimpleNamespace(status="200 OK", headers=[], sent=10)
        logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logging.getLogger("gunicorn.access").handlers:
        handler.flush()
    logged = (tmp_path / "access.log").read_text()
    try:
        assert logged.count("\n") == 5 and "q=[search]" in logged and "%3Fq%3D[search]" in logged
        assert "ada" not in logged.lower() and "lovelace" not in logged.lower()
        assert "filter=checked_in" in logged and "page=2" in logged and "sq=1&qq=2" in logged
    finally:
        for handler in list(logging.getLogger("gunicorn.access").handlers):
            handler.close()
            logging.getLogger("gunicorn.access").removeHandler(handler)
