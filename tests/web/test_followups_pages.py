"""Following the follow-up email's links, the attendee's page, and the organizer pages."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from eventnet.extensions import db
from eventnet.models import Attendee, Event, Introduction, utcnow
from eventnet.services import followup_mail, followup_sending
from tests.followup_data import small_event


@pytest.fixture
def ev(make_event: Any, make_attendee: Any, make_organizer: Any) -> Any:
    org = make_organizer("boss@example.org")
    data = small_event(make_event, make_attendee, organizer=org)
    return data


def _links(message: Any) -> list[str]:
    text = message.get_body(("plain",)).get_content()
    return [u.replace("http://eventnet.test", "") for u in re.findall(r"http://\S+", text)]


def test_followup_email_parts_headers_and_escaping(app: Any, ev: Any, smtp: Any) -> None:
    followup_sending.send_followups(ev.event.id)
    assert len(smtp.messages) == 4
    [ada] = smtp.to("ada@example.org")
    assert ada.get_content_type() == "multipart/alternative"
    html = ada.get_body(("html",)).get_content()
    text = ada.get_body(("plain",)).get_content()
    assert ada["List-Unsubscribe"].strip().startswith("<http://eventnet.test/u/")
    assert ada["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(ada["Reply-To"]) == "hello@rust.example"
    assert "Rust Meetup team" in str(ada["From"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;Rust&lt;/b&gt;" in html and "&lt;b&gt;everyone" in html
    assert "Talk about <b>Rust</b> jobs" in text  # plain text is not HTML-escaped
    assert "bob@example.org" in text  # Bob shares contact details
    assert "cy@example.org" not in text and "cy@example.org" not in html  # Cy does not
    assert "/v/" in text and "/i/" in text and f"/e/{ev.event.slug}/me" in text
    assert "/m/" not in text and "/m/" not in html  # no sign-in link in a forwardable mail
    [bob] = smtp.to("bob@example.org")
    assert bob["Content-Language"] == "fr" and ada["Content-Language"] == "en"
    assert 'lang="fr"' in bob.get_body(("html",)).get_content()
    assert bob["Subject"] != ada["Subject"].replace("Rust Meetup", "")


def test_links_work_when_followed(client: Any, app: Any, ev: Any, smtp: Any,
                                  auth: Any) -> None:
    followup_sending.send_followups(ev.event.id)
    [ada] = smtp.to("ada@example.org")
    links = _links(ada)
    vcard = next(u for u in links if u.startswith("/v/"))
    response = client.get(vcard)
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert b"EMAIL;TYPE=INTERNET:bob@example.org" in response.data
    intro = next(u for u in links if u.startswith("/i/"))
    page = client.get(intro)
    assert page.status_code == 200 and b"Yes, introduce us" in page.data
    assert db.session.query(Introduction).filter_by(status="requested").count() == 0
    done = client.post(intro, data={"message": "Hi <i>there</i>"})
    assert done.status_code == 200
    requested = db.session.query(Introduction).filter_by(status="requested").one()
    recipient = db.session.get(Attendee, requested.recipient_id)
    [ask] = smtp.to(recipient.email)[-1:]
    answer = next(u for u in _links(ask) if u.startswith("/i/answer/"))
    assert b"Accept" in client.get(answer).data
    client.post(answer, data={"decision": "accept"})
    db.session.expire_all()
    assert db.session.get(Introduction, requested.id).status == "accepted"
    assert any("Introduction" in str(m["Subject"]) for m in smtp.to("ada@example.org"))
    # "Open my page": a browser not signed in is asked for a fresh sign-in link
    my_page = next(u for u in links if u == f"/e/{ev.event.slug}/me")
    assert "/signin" in app.test_client().get(my_page).headers["Location"]
    auth.attendee(ev.ada)
    home = client.get(my_page, follow_redirects=True)
    assert home.status_code == 200 and b"Introductions" in home.data
    csv = client.get(f"/e/{ev.event.slug}/me/connections.csv")
    assert csv.status_code == 200 and b"bob@example.org" in csv.data
    assert b"cy@example.org" not in csv.data
    vcf = client.get(f"/e/{ev.event.slug}/me/connections.vcf")
    assert vcf.data.count(b"BEGIN:VCARD") == 2


def test_unsubscribe_one_click_and_page(client: Any, app: Any, ev: Any, smtp: Any) -> None:
    followup_sending.send_followups(ev.event.id)
    [ada] = smtp.to("ada@example.org")
    target = ada["List-Unsubscribe"].strip("<>").replace("http://eventnet.test", "")
    assert client.get(target).status_code == 200
    assert db.session.get(Attendee, ev.ada.id).unsubscribed_at is None  # GET changes nothing
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(target, data={"List-Unsubscribe": "One-Click"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 204
    db.session.expire_all()
    assert db.session.get(Attendee, ev.ada.id).unsubscribed_at is not None


def test_an_unsubscribed_attendee_can_receive_the_mail_again_from_their_page(
        client: Any, app: Any, auth: Any, ev: Any, smtp: Any) -> None:
    """The unsubscribe link's page stops the mail; the attendee's own page says so and
    undoes it with a button (there was no way back before)."""
    from eventnet.services import consent

    followup_sending.send_followups(ev.event.id)
    target = smtp.to("ada@example.org")[0]["List-Unsubscribe"].strip("<>").replace(
        "http://eventnet.test", "")
    assert client.post(target).status_code == 200
    db.session.expire_all()
    assert not consent.may_receive("followup", db.session.get(Attendee, ev.ada.id))
    # signed out, the button's address changes nothing
    assert "/signin" in client.post(f"/e/{ev.event.slug}/me/resubscribe").location
    assert db.session.get(Attendee, ev.ada.id).unsubscribed_at is not None

    auth.attendee(ev.ada)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/e/{ev.event.slug}/me").get_data(as_text=True)
        assert "You unsubscribed from this event's emails on" in page
        forged = client.post(f"/e/{ev.event.slug}/me/resubscribe")  # no CSRF token
        assert forged.status_code == 400  # refused, nothing changed
        db.session.expire_all()
        assert db.session.get(Attendee, ev.ada.id).unsubscribed_at is not None
        token = re.search(r'id="unsubscribed".*?name="csrf_token" type="hidden" value="([^"]+)"',
                          page, re.S).group(1)
        done = client.post(f"/e/{ev.event.slug}/me/resubscribe", data={"csrf_token": token},
                           follow_redirects=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "You will receive this event&#39;s emails again" in html  # the flash, escaped
    assert 'id="unsubscribed"' not in html
    db.session.expire_all()
    ada = db.session.get(Attendee, ev.ada.id)
    assert ada.unsubscribed_at is None and consent.may_receive("followup", ada)


def test_an_introduction_no_longer_possible_says_so_on_its_page(client: Any, ev: Any,
                                                                 smtp: Any) -> None:
    """The other person withdrew their consent to introductions after the follow-up left:
    the request page shows why, with the form (422), and nothing is requested."""
    followup_sending.send_followups(ev.event.id)
    intro = next(u for u in _links(smtp.to("ada@example.org")[0]) if u.startswith("/i/"))
    suggested = select(Introduction.recipient_id).where(
        Introduction.requester_id == ev.ada.id)
    db.session.execute(update(Attendee).where(Attendee.id.in_(suggested))
                       .values(consent_introductions=False))
    db.session.commit()
    refused = client.post(intro, data={"message": "Hello"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Sorry, this introduction is no longer possible." in page
    assert 'name="message"' in page  # the form is still there
    assert db.session.query(Introduction).filter_by(status="requested").count() == 0


@pytest.mark.parametrize("path", ["/i/{}", "/i/answer/{}", "/u/{}", "/v/{}.vcf"])
def test_tampered_links_get_a_clear_page(client: Any, ev: Any, path: str) -> None:
    response = client.get(path.format("eyJhIjoxfQ.tampered.signature"))
    assert response.status_code == 400
    assert b"invalid" in response.data.lower()


def test_preview_links_do_not_act(client: Any, auth: Any, ev: Any, smtp: Any) -> None:
    auth.organizer("boss@example.org")
    page = client.get(f"/events/{ev.event.slug}/followups/preview/{ev.ada.id}")
    assert page.status_code == 200 and b"Bob &lt;script" in page.data  # the plain text
    frame = client.get(f"/events/{ev.event.slug}/followups/preview/{ev.ada.id}/mail.html")
    assert frame.status_code == 200 and b"Bob &lt;script" in frame.data  # the HTML
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert "script-src" not in frame.headers["Content-Security-Policy"]
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    client.post(f"/events/{ev.event.slug}/followups/test", data={"attendee": ev.ada.id})
    [test] = smtp.to("boss@example.org")
    assert str(test["Subject"]).startswith("[Test]")
    unsubscribe = next(u for u in _links(test) if u.startswith("/u/"))
    assert client.get(unsubscribe).status_code == 400


def test_organizer_sends_with_progress_double_click_and_retry(
        client: Any, auth: Any, app: Any, ev: Any, smtp: Any) -> None:
    auth.organizer("boss@example.org")
    base = f"/events/{ev.event.slug}/followups"
    assert client.get(base).status_code == 200
    smtp.reject_with = "550"
    client.post(base + "/send", data={"confirm": "1"})
    client.post(base + "/send", data={"confirm": "1"})  # double click
    progress = _wait_done(client, base)
    assert progress["failed"] == 4 and progress["skipped"] == {"no_one_met": 1}
    assert "550" in progress["failures"][0]["error"]
    smtp.reject_with = None
    client.post(base + "/retry")
    progress = _wait_done(client, base)
    assert progress["sent"] == 4 and progress["failed"] == 0
    assert len(smtp.messages) == 4
    assert {str(m["To"]) for m in smtp.messages} == {
        "ada@example.org", "bob@example.org", "cy@example.org", "dee@example.org"}
    export = client.get(base + "/export.json")
    assert export.status_code == 200 and export.json["attendees"]


def test_send_runs_outside_the_request_and_one_run_at_a_time(
        client: Any, auth: Any, app: Any, ev: Any, smtp: Any, monkeypatch: Any) -> None:
    """The engine and the rendering of a large event outlast a request: "Send" hands the run
    to a thread (Celery with a broker) and the event's lease keeps a second one out."""
    auth.organizer("boss@example.org")
    base = f"/events/{ev.event.slug}/followups"
    ran_in: list[str] = []
    real = followup_sending._queue_and_deliver

    def spy(event_id: int, *args: Any) -> Any:
        ran_in.append(threading.current_thread().name)
        return real(event_id, *args)

    monkeypatch.setattr(followup_sending, "_queue_and_deliver", spy)
    started = client.post(base + "/send", data={"confirm": "1"}, follow_redirects=True)
    assert b"are being prepared and sent" in started.data
    assert _wait_done(client, base)["sent"] == 4 and ran_in == ["eventnet-followups"]
    # a run under way (here: its lease, as another process would hold it) refuses a second
    followup_sending._take_lease(ev.event.id)
    again = client.post(base + "/send", data={"confirm": "1"}, follow_redirects=True)
    assert b"already being prepared" in again.data and ran_in == ["eventnet-followups"]
    progress = client.get(base + "/progress.json").json
    assert progress["preparing"] and not progress["is_done"]
    # a run whose process died lets go when its lease lapses
    db.session.execute(update(Event).where(Event.id == ev.event.id).values(
        followups_preparing_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not client.get(base + "/progress.json").json["preparing"]
    assert followup_sending.start_followups(ev.event.id)
    _wait_done(client, base)
    assert len(ran_in) == 2 and len(smtp.messages) == 4  # nobody got a second email


def test_a_live_run_renews_its_lease_and_lets_go_at_the_end(
        app: Any, ev: Any, monkeypatch: Any) -> None:
    """A run longer than the lease keeps the event (it renews); once it ends, it lets go.

    The run's clock is the test's: three minutes of work pass (the lease is two) without
    the test depending on how fast the renewing thread gets the CPU; it waits for each
    renewal instead.
    """
    now = [utcnow()]
    monkeypatch.setattr(followup_sending, "utcnow", lambda: now[0])
    monkeypatch.setattr(followup_sending, "LEASE_RENEW_SECONDS", 0.01)
    held_during_the_run: list[bool] = []

    def lease_until() -> Any:
        db.session.rollback()  # read as a page request would: in a fresh transaction
        return db.session.scalar(select(Event.followups_preparing_until)
                                 .where(Event.id == ev.event.id))

    def slow(event_id: int, *args: Any) -> Any:
        for _ in range(3):
            now[0] += timedelta(minutes=1)  # a minute of work
            renewed = now[0] + followup_sending.PREPARING_LEASE - timedelta(seconds=1)
            deadline = time.monotonic() + 60
            while lease_until() < renewed and time.monotonic() < deadline:
                time.sleep(0.01)  # until the keeper renewed the lease for this minute
        held_during_the_run.append(followup_sending.is_preparing(event_id))

    monkeypatch.setattr(followup_sending, "_queue_and_deliver", slow)
    assert followup_sending._take_lease(ev.event.id)
    followup_sending.run_followups(ev.event.id)
    assert held_during_the_run == [True]
    assert not followup_sending.is_preparing(ev.event.id)


def test_a_failed_run_lets_go_of_the_event(app: Any, ev: Any, monkeypatch: Any) -> None:
    def broken(event_id: int, *args: Any) -> Any:
        raise RuntimeError("SMTP server on fire")

    monkeypatch.setattr(followup_sending, "_queue_and_deliver", broken)
    assert followup_sending._take_lease(ev.event.id)
    with pytest.raises(RuntimeError):
        followup_sending.run_followups(ev.event.id)
    assert not followup_sending.is_preparing(ev.event.id)


def _wait_done(client: Any, base: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = client.get(base + "/progress.json").json
        if progress["is_done"]:
            return progress
        time.sleep(0.05)
    raise AssertionError(f"follow-ups still in flight: {progress}")


def test_other_organizers_get_404(client: Any, auth: Any, ev: Any, make_organizer: Any) -> None:
    make_organizer("stranger@example.org")
    auth.organizer("stranger@example.org")
    base = f"/events/{ev.event.slug}/followups"
    assert client.get(base).status_code == 404
    assert client.post(base + "/send").status_code == 404
    assert client.get(base + "/export.json").status_code == 404


def test_attendee_page_requests_and_answers_introductions(
        client: Any, auth: Any, app: Any, ev: Any, smtp: Any) -> None:
    app.config["MAIL_SYNC"] = True
    followup_mail.queue_followups(ev.event.id)
    suggestion = db.session.query(Introduction).filter_by(requester_id=ev.ada.id).first()
    assert suggestion is not None
    auth.attendee(ev.ada)
    page = client.get(f"/e/{ev.event.slug}/me")
    assert b"People you should meet" in page.data
    client.post(f"/e/{ev.event.slug}/me/introductions/{suggestion.id}/request",
                data={"message": "Hello!"})
    db.session.expire_all()
    assert db.session.get(Introduction, suggestion.id).status == "requested"
    recipient = db.session.get(Attendee, suggestion.recipient_id)
    client.post(f"/e/{ev.event.slug}/me/sign-out")
    auth.attendee(recipient)
    page = client.get(f"/e/{ev.event.slug}/me")
    assert b"People who would like to meet you" in page.data and b"Hello!" in page.data
    client.post(f"/e/{ev.event.slug}/me/introductions/{suggestion.id}/answer",
                data={"decision": "accept"})
    db.session.expire_all()
    assert db.session.get(Introduction, suggestion.id).status == "accepted"
    assert client.get(f"/e/{ev.event.slug}/me/introductions/999999/answer").status_code == 405
    other = client.post(f"/e/{ev.event.slug}/me/introductions/999999/answer",
                        data={"decision": "accept"})
    assert other.status_code == 404
