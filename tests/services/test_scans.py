"""Scans and connections, without HTTP: the promises of one use case, one function."""

from __future__ import annotations

import multiprocessing
import secrets
import threading
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Connection, Scan, utcnow
from eventnet.services import connections as connection_service
from eventnet.services import links, scan_import
from eventnet.services.badges import reissue_badge
from eventnet.services.errors import Conflict, EventnetError, Invalid, NotFound
from eventnet.services.scans import (
    REPEAT_WINDOW,
    parse_scanned_at,
    pending_path,
    record_scan,
    scan_badge,
    token_from_text,
)


def _count(model):
    db.session.rollback()  # end the read snapshot: other connections wrote
    return db.session.scalar(select(func.count()).select_from(model))


def _connection():
    db.session.rollback()  # end the read snapshot: other connections wrote
    return db.session.scalars(select(Connection)).one()


def test_a_scan_makes_a_connection_and_a_scan_back_makes_it_mutual(make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    first = scan_badge(ann.id, event.id, bob.badge.token, note="Rust in prod",
                       tags=["hiring"])
    assert first.is_new and first.is_counted
    conn = _connection()
    assert conn.scan_count == 1 and not conn.is_mutual
    side = "a" if ann.id == conn.a_id else "b"
    assert getattr(conn, f"{side}_note") == "Rust in prod"
    assert getattr(conn, f"{side}_tags") == ["hiring"]
    scan_badge(bob.id, event.id, ann.badge.token)
    conn = _connection()
    assert conn.is_mutual and conn.scan_count == 2 and conn.a_scan_count == conn.b_scan_count == 1


def test_repeat_within_the_window_is_stored_but_not_counted(make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    t0 = utcnow() - timedelta(hours=2)
    record_scan(ann.id, bob.id, scanned_at=t0)
    again = record_scan(ann.id, bob.id, scanned_at=t0 + REPEAT_WINDOW / 2)
    later = record_scan(ann.id, bob.id, scanned_at=t0 + REPEAT_WINDOW * 2)
    assert not again.is_counted and later.is_counted
    conn = _connection()
    assert _count(Scan) == 3 and conn.scan_count == 2
    assert conn.first_met_at == t0 and conn.last_met_at == t0 + REPEAT_WINDOW * 2


def test_a_replayed_client_id_is_recorded_once(make_event, make_attendee):
    event = make_event()
    ann, bob, cid = make_attendee(event), make_attendee(event), make_attendee(event)
    first = scan_badge(ann.id, event.id, bob.badge.token, client_id="uuid-1")
    replay = scan_badge(ann.id, event.id, bob.badge.token, client_id="uuid-1")
    assert first.is_new and not replay.is_new and replay.scan_id == first.scan_id
    assert replay.connection_id == first.connection_id
    assert _count(Scan) == 1
    with pytest.raises(Conflict) as exc:
        scan_badge(ann.id, event.id, cid.badge.token, client_id="uuid-1")
    assert exc.value.code == "client_id_reused"
    assert _count(Scan) == 1 and _count(Connection) == 1  # no row left for Ann and Cid
    # the same client id from another scanner is another scan
    assert scan_badge(cid.id, event.id, bob.badge.token, client_id="uuid-1").is_new


def test_refusals_change_nothing(make_event, make_attendee):
    event, other_event = make_event(), make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    stranger = make_attendee(other_event)
    cases = [
        (lambda: scan_badge(ann.id, event.id, ann.badge.token), Invalid, "self_scan"),
        (lambda: record_scan(ann.id, ann.id), Invalid, "self_scan"),
        (lambda: scan_badge(ann.id, event.id, "nope"), NotFound, "unknown_badge"),
        (lambda: scan_badge(ann.id, event.id, stranger.badge.token), Conflict, "other_event"),
        (lambda: record_scan(ann.id, stranger.id), Conflict, "other_event"),
        (lambda: scan_badge(ann.id, event.id, bob.badge.token, note="x" * 2001), Invalid,
         "note_too_long"),
        (lambda: scan_badge(ann.id, event.id, bob.badge.token, tags=[""]), Invalid,
         "invalid_tags"),
        (lambda: scan_badge(ann.id, event.id, bob.badge.token,
                            scanned_at=utcnow() + timedelta(hours=1)), Invalid,
         "invalid_scanned_at"),
    ]
    for call, error, code in cases:
        with pytest.raises(error) as exc:
            call()
        assert exc.value.code == code
    old_token = bob.badge.token
    reissue_badge(bob.id)
    with pytest.raises(Conflict) as exc:
        scan_badge(ann.id, event.id, old_token)
    assert exc.value.code == "badge_revoked"
    assert _count(Scan) == 0 and _count(Connection) == 0


def test_badge_urls_and_timestamps_are_parsed():
    assert token_from_text("https://x.test/b/AbC_12-x?utm=1") == "AbC_12-x"
    assert token_from_text(" AbC ") == "AbC"
    assert parse_scanned_at("2026-05-04T18:30:00Z").utcoffset() == timedelta(0)
    assert parse_scanned_at(None) is None
    for bad in ("yesterday", "2026-05-04T18:30:00", 12):
        with pytest.raises(EventnetError) as exc:
            parse_scanned_at(bad)
        assert exc.value.status == 400 and exc.value.code == "invalid_scanned_at"


def test_editing_and_forgetting_my_side(make_event, make_attendee):
    event = make_event()
    ann, bob, cid = make_attendee(event), make_attendee(event), make_attendee(event)
    one_way = scan_badge(ann.id, event.id, bob.badge.token, note="hello")
    edited = connection_service.update_my_connection(ann.id, one_way.connection_id,
                                                     note="met at lunch", tags=["mentor"])
    assert edited["note"] == "met at lunch" and edited["tags"] == ["mentor"]
    with pytest.raises(NotFound):
        connection_service.update_my_connection(cid.id, one_way.connection_id, note="x")
    # forgetting a one-way connection I made removes it
    assert connection_service.forget_connection(ann.id, one_way.connection_id) is False
    assert _count(Connection) == 0 and _count(Scan) == 0
    # forgetting my side of a mutual one leaves theirs
    scan_badge(ann.id, event.id, bob.badge.token)
    both = scan_badge(bob.id, event.id, ann.badge.token, note="theirs")
    assert connection_service.forget_connection(ann.id, both.connection_id) is True
    conn = _connection()
    assert not conn.is_mutual and conn.scan_count == 1 and _count(Scan) == 1
    mine = "a" if conn.a_id == ann.id else "b"
    theirs = "b" if mine == "a" else "a"
    assert getattr(conn, f"{mine}_scan_count") == 0 and getattr(conn, f"{theirs}_note") == "theirs"


def _scan_in_thread(app, scanner_id, event_id, token, client_id, errors):
    with app.app_context():
        try:
            scan_badge(scanner_id, event_id, token, client_id=client_id)
        except Exception as exc:  # pragma: no cover - reported by the assertion
            errors.append(repr(exc))
        finally:
            db.session.remove()


def test_concurrent_scans_from_threads_give_exact_counts(app, make_event, make_attendee):
    event = make_event()
    people = [make_attendee(event) for _ in range(6)]
    target = make_attendee(event)
    errors: list[str] = []
    threads = []
    for i, person in enumerate(people):
        for k in range(4):
            # each scan twice with the same client id: replays race the originals
            for _ in range(2):
                threads.append(threading.Thread(target=_scan_in_thread, args=(
                    app, person.id, event.id, target.badge.token, f"t-{i}-{k}", errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _count(Scan) == 24  # 6 scanners × 4 distinct client ids
    db.session.rollback()
    conns = db.session.scalars(select(Connection)).all()
    assert len(conns) == 6
    # within the repeat window only the first scan of each pair counts
    assert all(c.scan_count == 1 for c in conns)


def _process_worker(db_url, event_id, scanner_ids, token, queue):
    from eventnet import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "x",
                      "RATELIMIT_ENABLED": False, "TESTING": True})
    done = 0
    with app.app_context():
        for scanner_id in scanner_ids:
            for k in range(3):
                scan_badge(scanner_id, event_id, token, client_id=f"p-{scanner_id}-{k}")
                scan_badge(scanner_id, event_id, token, client_id=f"p-{scanner_id}-{k}")
                done += 1
        db.engine.dispose()
    queue.put(done)


@pytest.mark.processes
def test_concurrent_scans_from_processes_give_exact_counts(app, make_event, make_attendee):
    event = make_event()
    people = [make_attendee(event) for _ in range(8)]
    target = make_attendee(event)
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=(
        db_url, event.id, [p.id for p in people[i::4]], target.badge.token, queue))
        for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert sum(queue.get(timeout=60) for _ in procs) == 24
    assert _count(Scan) == 24
    db.session.rollback()
    conns = db.session.scalars(select(Connection)).all()
    assert len(conns) == 8 and sum(c.scan_count for c in conns) == 8


def _csv(*lines):
    return ("\n".join(lines) + "\n").encode()


def test_import_is_all_or_nothing_and_idempotent(make_event, make_attendee):
    event = make_event(timezone="Europe/Paris")
    make_attendee(event, "Ann", "ann@example.org")
    make_attendee(event, "Bob", "bob@example.org")
    make_attendee(event, "Cid", "cid@example.org")
    bad = scan_import.plan_scan_import(event, _csv(
        "scanner_email,scanned_email,scanned_at,note",
        "ann@example.org,bob@example.org,2026-01-10T10:00:00+01:00,hello",
        "ann@example.org,nobody@example.org,2026-01-10T10:05:00Z,",
        "ann@example.org,ANN@example.org,2026-01-10T10:05:00Z,",
        "bob@example.org,cid@example.org,last tuesday,",
        "ann@example.org,bob@example.org,2026-01-10T10:00:00+01:00,hello",
        "bob@example.org,cid@example.org",
    ))
    assert [e.line for e in bad.errors] == [3, 4, 5, 6, 7]
    messages = " | ".join(e.message for e in bad.errors)
    for word in ("nobody@example.org", "self-scan", "ISO 8601", "duplicate of line 2",
                 "expected 4 columns"):
        assert word in messages
    with pytest.raises(Invalid):
        scan_import.apply_scan_import(event.id, bad)
    assert _count(Scan) == 0

    good = _csv("scanner_email,scanned_email,scanned_at,note",
                "ann@example.org,bob@example.org,2026-01-10T10:00:00,naive is Paris time",
                "bob@example.org,ann@example.org,2026-01-10T09:30:00Z,",
                "cid@example.org,ann@example.org,2026-01-10T11:00:00Z,")
    first = scan_import.apply_scan_import(event.id, scan_import.plan_scan_import(event, good))
    assert (first.recorded, first.already_imported) == (3, 0)
    again = scan_import.apply_scan_import(event.id, scan_import.plan_scan_import(event, good))
    assert (again.recorded, again.already_imported) == (0, 3)
    assert _count(Scan) == 3 and _count(Connection) == 2
    naive = db.session.scalars(select(Scan).where(Scan.note != "")).one()
    assert naive.scanned_at.isoformat() == "2026-01-10T09:00:00+00:00"
    with pytest.raises(Invalid):
        scan_import.plan_scan_import(event, _csv("who,whom", "a,b"))


def test_cli_import_reports_rejected_rows_and_imports_once(runner, tmp_path, make_event,
                                                           make_attendee):
    event = make_event()
    make_attendee(event, email="ann@example.org")
    make_attendee(event, email="bob@example.org")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("scanner_email,scanned_email,scanned_at,note",
                         "ann@example.org,bob@example.org,2026-01-10T10:00:00Z,hi",
                         "ann@example.org,zed@example.org,2026-01-10T10:00:00Z,"))
    result = runner.invoke(args=["scans", "import", event.slug, str(bad)])
    assert result.exit_code == 1 and "line 3" in result.output
    assert "zed@example.org" in result.output and "nothing was imported" in result.output
    assert _count(Scan) == 0
    good = tmp_path / "good.csv"
    good.write_bytes(_csv("scanner_email,scanned_email,scanned_at,note",
                          "ann@example.org,bob@example.org,2026-01-10T10:00:00Z,hi"))
    first = runner.invoke(args=["scans", "import", event.slug, str(good)])
    assert first.exit_code == 0 and "1 scan recorded" in first.output
    again = runner.invoke(args=["scans", "import", event.slug, str(good)])
    assert "0 scans recorded, 1 already imported" in again.output and _count(Scan) == 1
    missing = runner.invoke(args=["scans", "import", "no-such-event", str(good)])
    assert missing.exit_code == 1 and "Error:" in missing.output


def test_a_pending_scan_travels_to_its_page_for_the_registered_address_only(
        app, make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event, "Ann", email="ann@example.org"), make_attendee(event, "Bob")
    path = pending_path(event.id, bob.badge.token, " ANN@Example.org", note="Rust",
                        tags=["rust"], client_id="c-1", prefix="/sub")
    head, _, token = path.rpartition("/")
    with app.test_request_context("/", base_url="http://localhost/sub"):
        assert path == url_for("scan.pending", token=bob.badge.token, pending=token)
    payload = links.check(links.PENDING_SCAN, token)
    assert (payload["a"], payload["b"], payload["n"], payload["t"], payload["c"]) == (
        ann.id, bob.badge.token, "Rust", ["rust"], "c-1")
    # no link for an address that is not registered here (or no address at all)
    other = make_event()
    make_attendee(other, "Cy", email="cy@example.org")
    for email in ("cy@example.org", "not an address", ""):
        assert pending_path(event.id, bob.badge.token, email, note="", tags=[],
                            client_id="c-2") is None
    with pytest.raises(Invalid) as exc:
        pending_path(event.id, bob.badge.token, "ann@example.org",
                     note=secrets.token_urlsafe(1500), tags=[], client_id="c-3")
    assert (exc.value.code, exc.value.field) == ("note_too_long_for_link", "note")
