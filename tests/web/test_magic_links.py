"""Magic links: a GET asks "Continue as ...", the POST signs in, once; tokens stay out of
the access log."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from types import SimpleNamespace

from itsdangerous import TimestampSigner

from eventnet.services.attendees import magic_link
from tests.conftest import open_magic_link


def _path(link: str) -> str:
    return link.replace("http://eventnet.test", "")


_AN_HOUR_AGO = int(time.time()) - 3600


def _at(monkeypatch, seconds: int) -> None:
    """Links signed from now on say they were signed ``seconds`` after an hour ago."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: _AN_HOUR_AGO + seconds)


def test_a_get_signs_no_one_in(app, client, make_event, make_attendee):
    """Mail scanners and link prefetchers open links: they used to get a session."""
    event = make_event()
    ann = make_attendee(event, "Ann Example")
    link = _path(magic_link(ann))
    page = client.get(link)
    assert page.status_code == 200 and b"Continue as Ann Example" in page.data
    assert b'method="post"' in page.data
    assert client.get(f"/e/{event.slug}/me").status_code == 302  # still signed out
    signed_in = client.post(link)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].endswith(f"/e/{event.slug}/me")
    assert client.get(f"/e/{event.slug}/me").status_code == 200


def test_a_link_signs_in_once_and_older_links_die_with_it(app, client, make_event,
                                                          make_attendee, monkeypatch):
    event = make_event()
    ann = make_attendee(event, "Ann")
    _at(monkeypatch, 0)
    older = _path(magic_link(ann))
    _at(monkeypatch, 10)
    link = _path(magic_link(ann))
    _at(monkeypatch, 20)
    newer = _path(magic_link(ann))
    monkeypatch.undo()
    assert open_magic_link(client, link).status_code == 302
    # this browser, signed in, goes on to the page; another gets "used already"
    assert client.get(link).status_code == 302
    for spent in (link, older):
        other = app.test_client()
        page = other.get(spent)
        assert page.status_code == 400 and b"used already" in page.data
        assert other.post(spent).status_code == 400
        assert other.get(f"/e/{event.slug}/me").status_code == 302
    assert open_magic_link(app.test_client(), newer).status_code == 302


def _new_link_button(page) -> str | None:
    """The href of the page's "Get a new sign-in link" button, if it has one."""
    import re

    found = re.search(r'<a class="button big" id="new-link" href="([^"]+)"',
                      page.get_data(as_text=True))
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_used_link_offers_a_new_one_for_its_event(app, client, make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event, "Ann")
    link = _path(magic_link(ann, next_path=f"/e/{event.slug}/scan"))
    assert open_magic_link(client, link).status_code == 302
    for language, words in (("en", ["used already", "Get a new sign-in link"]),
                            ("fr", ["déjà servi", "Recevoir un nouveau lien de connexion"])):
        page = app.test_client().get(link, headers={"Accept-Language": language})
        assert page.status_code == 400
        assert all(word in page.get_data(as_text=True) for word in words), language
        # the event's sign-in page, and back to where the link went once signed in
        button = _new_link_button(page)
        assert button == f"/e/{event.slug}/signin?next=/e/{event.slug}/scan"
    form = app.test_client().get(button)
    assert form.status_code == 200
    assert f'name="next" type="hidden" value="/e/{event.slug}/scan"' in form.get_data(as_text=True)


def test_an_expired_link_offers_a_new_one(app, client, make_event, make_attendee, monkeypatch):
    event = make_event()
    ann = make_attendee(event, "Ann")
    _at(monkeypatch, 0)  # signed an hour ago
    link = _path(magic_link(ann))
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MAGIC_LINK_MAX_AGE", 60)
    page = client.get(link)
    assert page.status_code == 400 and "This link has expired." in page.get_data(as_text=True)
    assert _new_link_button(page) == f"/e/{event.slug}/signin"
    assert client.post(link).status_code == 400  # and it signs no one in
    assert client.get(f"/e/{event.slug}/me").status_code == 302
    # a link that is not ours (its signature fails) names no event
    forged = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")
    page = client.get(forged)
    assert page.status_code == 400 and "This link is invalid." in page.get_data(as_text=True)
    assert _new_link_button(page) is None and event.slug not in page.get_data(as_text=True)


def test_another_site_cannot_sign_a_visitor_in(app, client, make_event, make_attendee):
    """Login CSRF: a form on another site posting someone's link gets no session."""
    event = make_event()
    mallory = make_attendee(event, "Mallory")
    app.config["WTF_CSRF_ENABLED"] = True  # the fixture turns it off again for the next test
    link = _path(magic_link(mallory))
    forged = client.post(link)
    assert forged.status_code == 400
    assert client.get(f"/e/{event.slug}/me").status_code == 302
    assert open_magic_link(client, link).status_code == 302  # from its own page, it works


def test_the_access_log_never_holds_a_token(tmp_path):
    from gunicorn.config import Config

    from eventnet.web.access_log import AccessLogger

    token = "eyJhIjozLCJ2IjoyfQ.axE2gQ.fPfrqjjQEOESdFCWSY3Ml9VElEI"
    badge = "obeQFncPNLpjLJkiTrG6-Ovt-M4H4ed2"
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s "%({referer}i)s"')
    logger = AccessLogger(cfg)
    for path, query, referer in (
            (f"/m/{token}", "", ""),
            ("/e/rust/me", "", f"https://meet.example.org/m/{token}"),
            (f"/b/{badge}/pending/{token}", "", ""),
            ("/e/rust/signin", f"next=%2Fb%2F{badge}%2Fpending%2F{token}", ""),
            (f"/invitations/{badge}", "", ""), (f"/i/answer/{token}", "", "")):
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?{query}", "PATH_INFO": path,
                   "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": referer}
        request = SimpleNamespace(headers=[("REFERER", referer)])
        response = SimpleNamespace(status="200 OK", headers=[], sent=10)
        logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logging.getLogger("gunicorn.access").handlers:
        handler.flush()
    logged = (tmp_path / "access.log").read_text()
    assert logged.count("\n") == 6 and "/e/rust/me" in logged and "[token]" in logged
    assert token not in logged and badge not in logged
    for handler in list(logging.getLogger("gunicorn.access").handlers):
        handler.close()
        logging.getLogger("gunicorn.access").removeHandler(handler)


def test_gunicorn_uses_the_redacting_logger():
    from pathlib import Path

    conf = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    assert 'logger_class = "eventnet.web.access_log.AccessLogger"' in conf.read_text()
