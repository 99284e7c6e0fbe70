"""Attendee imports from eventnet, Eventbrite, Meetup and Luma files: plan, preview, apply."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn
from eventnet.services import import_jobs, imports
from eventnet.services.errors import Invalid

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
QUESTIONS = [{"key": "diet", "label": "Dietary requirements", "kind": "choice",
              "required": True, "choices": ["none", "vegetarian", "vegan"]},
             {"key": "shirt", "label": "T-shirt size", "kind": "text", "required": False,
              "choices": []}]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def count(event) -> int:
    return db.session.scalar(select(func.count(Attendee.id))
                             .where(Attendee.event_id == event.id)) or 0


def by_name(event) -> dict[str, Attendee]:
    db.session.expire_all()
    return {a.name: a for a in db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id))}


def import_twice(event, name: str, expected_format: str):
    plan = imports.plan_import(event, fixture(name))
    assert plan.format == expected_format and plan.is_valid, plan.errors
    first = imports.apply_import(event.id, plan)
    again = imports.apply_import(event.id, imports.plan_import(event, fixture(name)))
    assert again.created == again.updated == 0 and again.checked_in == 0
    assert again.unchanged == first.created + first.updated + first.unchanged
    return plan, first


def test_eventbrite_us_with_refunds_cancellations_and_custom_questions(make_event):
    event = make_event(questions=QUESTIONS)
    plan, result = import_twice(event, "eventbrite_us.csv", "eventbrite")
    assert result.created == 4
    assert sorted(s.line for s in plan.skipped) == [4, 7]  # refunded, cancelled
    assert "Refunded" in plan.skipped[0].message
    assert "What would you like to talk about?" in plan.ignored_columns
    people = by_name(event)
    elodie = people["Élodie Lefèvre"]
    assert elodie.email == "elodie.lefevre@example.fr" and elodie.company == "Studio Nova"
    assert elodie.title == "Développeuse front-end" and elodie.phone == "+33 6 12 34 56 78"
    assert elodie.external_ref == "eventbrite:2345678901" and elodie.source == "import:eventbrite"
    assert elodie.answers["diet"] == "vegetarian" and elodie.links == ["https://elodie.example.fr"]
    assert people["François Nguyễn"].badge is not None
    assert "Grace O'Brien" not in people and "James Smith" not in people


def test_eventbrite_uk_headers(make_event):
    event = make_event(questions=QUESTIONS)
    plan, result = import_twice(event, "eventbrite_uk.csv", "eventbrite")
    assert result.created == 2 and len(plan.skipped) == 1
    people = by_name(event)
    assert people["Siobhán Ní Bhriain"].answers["shirt"] == "M"
    assert people["Zoë Lefèvre-Dupont"].title == "UX designer"


def test_meetup_has_no_emails_so_profiles_wait_for_a_claim(make_event):
    event = make_event(questions=QUESTIONS)
    plan, result = import_twice(event, "meetup.csv", "meetup")
    assert result.created == 3
    assert [s.line for s in plan.skipped] == [4, 5]  # RSVP No, Waitlist
    people = by_name(event)
    helene = people["Hélène Fontaine"]
    assert helene.email is None and helene.person_id is None
    assert helene.external_ref == "meetup:301234567" and helene.answers["diet"] == "vegetarian"
    assert helene.links == ["https://www.meetup.com/paris-tech/members/301234567/"]
    assert people["Camille Dubois"].title == "Organiser"


def test_luma_skips_declined_waitlisted_pending_and_checks_in(make_event):
    event = make_event(questions=QUESTIONS)
    plan, result = import_twice(event, "luma.csv", "luma")
    assert result.created == 2 and result.checked_in == 1
    assert [s.line for s in plan.skipped] == [4, 5, 6]
    assert {"declined", "waitlist", "pending_approval"} == {
        s.message.split('"')[1] for s in plan.skipped}
    people = by_name(event)
    ines = people["Inès Moreau"]
    assert ines.check_in is not None and ines.check_in.method == "import"
    assert ines.check_in.checked_in_at.isoformat() == "2026-11-20T18:41:03+00:00"
    assert people["Benoît Laurent"].check_in is None
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_eventnet_format_and_an_update_from_another_platform(make_event):
    event = make_event()
    import_twice(event, "eventnet.csv", "eventnet")
    lea = by_name(event)["Léa Bernard"]
    assert lea.interests == ["fintech", "startups"] and lea.offers == ["fundraising advice"]
    data = ("name,email,company,title\nLéa Bernard,LEA.BERNARD@example.fr,Qonto,CEO\n"
            "New Person,new@example.org,,\n").encode()
    result = imports.apply_import(event.id, imports.plan_import(event, data))
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert by_name(event)["Léa Bernard"].title == "CEO" and count(event) == 3


@pytest.mark.parametrize(("name", "code", "words"), [
    ("malformed_semicolons.csv", "delimiter", "semicolons"),
    ("malformed_windows1252.csv", "encoding", "Windows-1252"),
    ("malformed_missing_email.csv", "missing_column", '"email"'),
])
def test_malformed_files_are_refused_with_the_reason(make_event, name, code, words):
    event = make_event()
    with pytest.raises(Invalid) as exc:
        imports.plan_import(event, fixture(name))
    assert exc.value.code == code and words in exc.value.message
    assert count(event) == 0


def test_duplicate_and_invalid_rows_are_reported_and_nothing_is_imported(make_event):
    event = make_event()
    plan = imports.plan_import(event, fixture("malformed_duplicates.csv"))
    assert not plan.is_valid
    assert [e.line for e in plan.errors] == [4, 5]
    assert "duplicate of line 2" in plan.errors[0].message
    assert "email" in plan.errors[1].message
    with pytest.raises(Invalid):
        imports.apply_import(event.id, plan)
    assert count(event) == 0


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"name,email\n", "empty"),
    ("Nom,Prénom\nx,y\n".encode(), "unknown_format"),
    ("name,email\n".encode("utf-16"), "encoding"),
    (b'name,email\n"unterminated,x@example.org\n', "not_csv"),
])
def test_other_unreadable_files(make_event, data, code):
    event = make_event()
    with pytest.raises(Invalid) as exc:
        imports.plan_import(event, data)
    assert exc.value.code == code


def test_forced_format_must_match_the_file(make_event):
    event = make_event()
    with pytest.raises(Invalid) as exc:
        imports.plan_import(event, fixture("meetup.csv"), "luma")
    assert exc.value.code == "missing_column"


def _imported(client, slug: str, data: bytes):
    """Upload a file, wait for its job, and return the job's page."""
    response = client.post(f"/events/{slug}/import", data={
        "file": (io.BytesIO(data), "guests.csv"), "format": "auto"},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.status_code
    import_jobs.wait(int(response.headers["Location"].rsplit("/", 1)[1]))
    return client.get(response.headers["Location"])


def test_web_upload_runs_a_job_whose_page_shows_the_result(client, auth, make_organizer,
                                                           make_event):
    organizer = make_organizer()
    event = make_event(organizer=organizer, questions=QUESTIONS)
    auth.organizer(organizer.email)
    assert client.get(f"/events/{event.slug}/import").status_code == 200
    page = _imported(client, event.slug, fixture("luma.csv")).get_data(as_text=True)
    assert 'data-state="done"' in page and "2 created" in page and "1 checked in" in page
    assert "Yasmine Roux" in page and "declined" in page  # skipped rows are listed
    assert "Luma" in page
    db.session.commit()
    assert count(event) == 2


def test_web_file_with_errors_imports_nothing_and_lists_them(client, auth, make_organizer,
                                                             make_event):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    auth.organizer(organizer.email)
    page = _imported(client, event.slug, fixture("malformed_duplicates.csv"))
    assert page.status_code == 200 and b"duplicate of line 2" in page.data
    assert b'data-state="failed"' in page.data and b"<td>5</td>" in page.data
    for name in ("malformed_semicolons.csv", "malformed_windows1252.csv"):
        bad = client.post(f"/events/{event.slug}/import", data={
            "file": (io.BytesIO(fixture(name)), name)}, content_type="multipart/form-data")
        assert bad.status_code == 422 and (b"UTF-8" in bad.data or b"semicolons" in bad.data)
    db.session.commit()
    assert count(event) == 0


def test_cli_import_with_format_choice(runner, make_event):
    event = make_event(questions=QUESTIONS)
    result = runner.invoke(args=["attendees", "import", event.slug,
                                 str(FIXTURES / "eventbrite_us.csv"), "--format", "eventbrite"])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output and "2 skipped" in result.output
    bad = runner.invoke(args=["attendees", "import", event.slug,
                              str(FIXTURES / "malformed_semicolons.csv")])
    assert bad.exit_code == 1 and "semicolons" in bad.output
    dup = runner.invoke(args=["attendees", "import", event.slug,
                              str(FIXTURES / "malformed_duplicates.csv")])
    assert dup.exit_code == 1 and "line 4" in dup.output and "nothing was imported" in dup.output
    assert count(event) == 4
    helptext = runner.invoke(args=["attendees", "import", "--help"]).output
    assert "eventbrite" in helptext and "luma" in helptext and "meetup" in helptext
