"""Loading an event into the matching engine, previews, exports and queueing follow-ups."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Introduction, OutboundEmail, utcnow
from eventnet.services import followup_mail, followup_sending, followups
from eventnet.services.errors import NotFound
from tests.followup_data import small_event


@pytest.fixture
def ev(make_event: Any, make_attendee: Any) -> Any:
    return small_event(make_event, make_attendee)


def test_export_lists_met_people_with_context_and_introductions(ev: Any) -> None:
    data = followups.export(ev.event)
    assert data["event"]["slug"] == ev.event.slug
    rows = {r["email"]: r for r in data["attendees"]}
    ada = rows["ada@example.org"]
    assert [m["email"] for m in ada["met"]][0] == "bob@example.org"  # mutual + note first
    bob_entry = ada["met"][0]
    assert bob_entry["context"]["my_notes"] == ["Talk about <b>Rust</b> jobs"]
    assert bob_entry["context"]["is_mutual"] is True
    assert bob_entry["reasons"]
    met_ada = {m["id"] for m in ada["met"]}
    assert all(i["id"] not in met_ada | {ev.ada.id} for i in ada["introductions"])
    assert ev.dee.id in {i["id"] for i in ada["introductions"]}
    assert rows["eve@example.org"]["met"] == []


def test_export_carries_contact_details_only_under_the_rule_of_the_mail(ev: Any) -> None:
    """The organizer's export is each attendee's follow-up as data: it must not hand the
    organizer an address to forward that the follow-up email would not carry
    (``connections.shares_contact_with``: consented, and both scanned each other)."""
    with write_transaction() as session:  # Bob scanned Dee (one way); Dee shares
        session.get(Attendee, ev.cy.id).consent_share_contact = True  # Ada scanned Cy only
    data = followups.export(ev.event)
    rows = {r["email"]: r for r in data["attendees"]}
    met = {(r["email"], m["name"]): m["email"] for r in rows.values() for m in r["met"]}
    assert met[("ada@example.org", "Bob <script>alert(1)</script>")] == "bob@example.org"
    assert met[("bob@example.org", "Ada Lovelace")] == "ada@example.org"  # mutual, shares
    assert met[("ada@example.org", "Cy Young")] is None  # one-way scan
    assert met[("bob@example.org", "Dee Dee")] is None  # one-way scan
    assert met[("cy@example.org", "Ada Lovelace")] is None  # one-way, the other way
    # A suggestion carries no address: it passes once both said yes to the introduction.
    suggestions = [i for r in rows.values() for i in r["introductions"]]
    assert suggestions and all("email" not in i for i in suggestions)
    exported = json.dumps(data)
    for address in ("cy@example.org", "dee@example.org", "eve@example.org"):
        # only as the attendee's own record (the organizer's attendee list has it anyway)
        assert exported.count(address) == 1, address
    # Withdrawing the consent takes the address out of the next export.
    with write_transaction() as session:
        session.get(Attendee, ev.ada.id).consent_share_contact = False
    again = {r["email"]: r for r in followups.export(ev.event)["attendees"]}
    assert [m["email"] for m in again["bob@example.org"]["met"]
            if m["name"] == "Ada Lovelace"] == [None]
    assert json.dumps(followups.preview(ev.event, ev.bob)).count("ada@example.org") == 0


def test_the_export_of_people_to_reconnect_with_follows_their_consent_today(
        make_event: Any, make_attendee: Any, make_organizer: Any) -> None:
    from datetime import timedelta

    from eventnet.services.scans import record_scan

    org = make_organizer()
    now = utcnow()
    first = make_event(organizer=org, name="Meetup 1", starts_at=now - timedelta(days=30))
    second = make_event(organizer=org, name="Meetup 2", starts_at=now - timedelta(days=1))
    ann1 = make_attendee(first, "Ann", "ann@example.org")
    ben1 = make_attendee(first, "Ben", "ben@example.org")
    cat1 = make_attendee(first, "Cat", "cat@example.org")
    for a, b in ((ann1, ben1), (ben1, ann1), (ann1, cat1), (cat1, ann1)):
        record_scan(a.id, b.id)
    ann2 = make_attendee(second, "Ann", "ann@example.org")
    dan2 = make_attendee(second, "Dan", "dan@example.org")
    make_attendee(second, "Cat", "cat@example.org", consent_share_contact=False)
    record_scan(ann2.id, dan2.id)
    ann = next(r for r in followups.export(second)["attendees"]
               if r["email"] == "ann@example.org")
    emails = {r["name"]: r["email"] for r in ann["reconnect"]}
    # Ben shared at Meetup 1 and is not here; Cat is here and no longer shares.
    assert emails == {"Ben": "ben@example.org", "Cat": None}


def test_opted_out_and_unsubscribed_people_are_never_suggested(ev: Any) -> None:
    with write_transaction() as session:
        session.get(Attendee, ev.dee.id).consent_introductions = False
    data = followups.export(ev.event)
    suggested = {i["id"] for r in data["attendees"] for i in r["introductions"]}
    assert ev.dee.id not in suggested


def test_preview_of_unknown_attendee_is_not_found(ev: Any) -> None:
    with pytest.raises(NotFound):
        followups.find_attendee(ev.event, "nobody@example.org")
    record = followups.preview(ev.event, ev.ada)
    assert record["email"] == "ada@example.org" and record["met"]


def test_queue_is_exactly_once_and_creates_proposed_introductions(app: Any, ev: Any) -> None:
    app.config["MAIL_SYNC"] = False
    first = followup_mail.queue_followups(ev.event.id)
    assert first.queued == 4 and first.skipped == {"no_one_met": 1}
    second = followup_mail.queue_followups(ev.event.id)
    assert second.queued == 0 and second.already_queued == 4
    count = db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "followup"))
    assert count == 4
    intros = db.session.scalars(select(Introduction)).all()
    assert intros and {i.status for i in intros} == {"proposed"}
    assert all(i.reasons for i in intros)


def test_skip_reasons(app: Any, ev: Any, make_attendee: Any) -> None:
    app.config["MAIL_SYNC"] = False
    with write_transaction() as session:
        session.get(Attendee, ev.cy.id).unsubscribed_at = utcnow()
        session.get(Attendee, ev.dee.id).consent_followup = False
    result = followup_mail.queue_followups(ev.event.id, dry_run=True)
    assert result.skipped == {"unsubscribed": 1, "no_consent": 1, "no_one_met": 1}
    assert result.queued == 2
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0  # dry run
    followup_mail.queue_followups(ev.event.id)
    progress = followup_sending.progress(ev.event.id)
    assert progress["queued"] == 2 and progress["skipped"] == {
        "unsubscribed": 1, "no_consent": 1, "no_one_met": 1}


def test_past_encounters_come_from_earlier_events_of_the_same_community(
        make_event: Any, make_attendee: Any, make_organizer: Any) -> None:
    from datetime import timedelta

    from eventnet.services.scans import record_scan

    org = make_organizer()
    now = utcnow()
    first = make_event(organizer=org, name="Meetup 1", starts_at=now - timedelta(days=30))
    second = make_event(organizer=org, name="Meetup 2", starts_at=now - timedelta(days=1))
    other_org_event = make_event(name="Elsewhere", starts_at=now - timedelta(days=20))
    a1 = make_attendee(first, "Ann", "ann@example.org")
    b1 = make_attendee(first, "Ben", "ben@example.org")
    record_scan(a1.id, b1.id, note="met at the first one")
    x = make_attendee(other_org_event, "Ann", "ann@example.org")
    y = make_attendee(other_org_event, "Zed", "zed@example.org")
    record_scan(x.id, y.id)
    a2 = make_attendee(second, "Ann", "ann@example.org")
    c2 = make_attendee(second, "Cat", "cat@example.org")
    record_scan(a2.id, c2.id)
    data = followups.export(second)
    ann = next(r for r in data["attendees"] if r["email"] == "ann@example.org")
    assert [r["name"] for r in ann["reconnect"]] == ["Ben"]
    assert ann["reconnect"][0]["event_name"] == "Meetup 1"


def test_cli_export_prints_json_only(runner: Any, ev: Any) -> None:
    result = runner.invoke(args=["followups", "export", ev.event.slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["email"] for r in data["attendees"]} >= {"ada@example.org", "eve@example.org"}


def test_cli_preview_text_and_json(runner: Any, ev: Any) -> None:
    result = runner.invoke(args=["followups", "preview", ev.event.slug,
                                 "--attendee", "ada@example.org"])
    assert result.exit_code == 0, result.output
    assert "Subject: " in result.stdout and "Bob <script>" in result.stdout
    result = runner.invoke(args=["followups", "preview", ev.event.slug,
                                 "--attendee", "ada@example.org", "--format", "json"])
    assert json.loads(result.stdout)["met"][0]["email"] == "bob@example.org"
    bad = runner.invoke(args=["followups", "preview", ev.event.slug,
                              "--attendee", "nobody@example.org"])
    assert bad.exit_code == 1 and "Error:" in bad.output
    missing = runner.invoke(args=["followups", "export", "no-such-event"])
    assert missing.exit_code == 1


def test_cli_send_dry_run_then_send(runner: Any, ev: Any, smtp: Any) -> None:
    dry = runner.invoke(args=["followups", "send", ev.event.slug, "--dry-run"])
    assert dry.exit_code == 0 and "4 follow-ups would be queued" in dry.output
    assert not smtp.messages
    sent = runner.invoke(args=["followups", "send", ev.event.slug])
    assert sent.exit_code == 0, sent.output
    assert "sent 4" in sent.output
    assert len(smtp.messages) == 4
    again = runner.invoke(args=["followups", "send", ev.event.slug])
    assert "0 follow-ups queued, 4 already" in again.output
    assert len(smtp.messages) == 4


def test_link_tokens_match_itsdangerous_and_are_accepted(app: Any, monkeypatch: Any) -> None:
    from itsdangerous import URLSafeTimedSerializer

    from eventnet.services import links, tokens

    monkeypatch.setattr(links.time, "time", lambda: 1_700_000_000.5)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_700_000_000.5)
    reference = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="eventnet:vcard")
    short = {"a": 12, "o": 345}
    assert links.sign(links.VCARD, short) == reference.dumps(short)
    long = {"n": "/e/" + "x" * 120 + "/me", "a": 1}  # compressible: the zlib form
    assert links.sign(links.VCARD, long) == reference.dumps(long)
    assert links.sign(links.VCARD, long).startswith(".")
    monkeypatch.undo()
    token = links.url(links.VCARD, short).rsplit("/", 1)[1].removesuffix(".vcf")
    assert links.check(links.VCARD, token) == short
    preview = links.url(links.VCARD, short, preview=True).rsplit("/", 1)[1][:-4]
    with pytest.raises(tokens.InvalidLink):
        links.check(links.VCARD, preview)


def test_memoized_meeting_times_read_like_the_local_time_filter(app: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from flask_babel import force_locale

    from eventnet.mail.compose import datetime_formatter
    from eventnet.web import local_time

    start = datetime(2026, 10, 25, 0, 0, 7, tzinfo=UTC)  # across the end of summer time
    for language in ("en", "fr"):
        when = datetime_formatter(language, "Europe/Paris")
        with force_locale(language):
            for minutes in range(0, 300, 7):
                value = start + timedelta(minutes=minutes, seconds=minutes % 50)
                assert when(value) == local_time(value, "Europe/Paris", "medium")
