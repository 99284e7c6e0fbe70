"""The `eventnet` command line: non-interactive, clear errors, non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Attendee, Event
from eventnet.services.demo import DEMO_SLUG

CSV_HEADER = "name,email,company,title,interests,offers,asks\n"


def invoke(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input, catch_exceptions=False)


def test_organizer_create_and_token(runner):
    result = invoke(runner, "organizers", "create", "ann@example.org", "--password-stdin",
                    input="long enough password\n")
    assert result.exit_code == 0, result.output
    again = invoke(runner, "organizers", "create", "ann@example.org", "--password-stdin",
                   input="long enough password\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = invoke(runner, "organizers", "create", "bob@example.org", "--password-stdin",
                   input="short\n")
    assert short.exit_code == 1 and "at least" in short.output
    token = invoke(runner, "organizers", "token", "ann@example.org")
    assert token.exit_code == 0
    last = token.stdout.strip().splitlines()[-1]
    assert last.startswith("eo_") and len(last) > 40
    from eventnet.services.organizers import organizer_for_token

    assert organizer_for_token(last).email == "ann@example.org"
    assert invoke(runner, "organizers", "token", "nobody@example.org").exit_code == 1


def test_events_create_validates(runner, make_organizer):
    organizer = make_organizer()
    ok = invoke(runner, "events", "create", "pyparis", "--name", "PyParis", "--organizer",
                organizer.email, "--starts-at", "2026-12-03T18:30", "--timezone", "Europe/Paris")
    assert ok.exit_code == 0, ok.output
    for args, message in [
        (["bad slug!"], "slug"),
        (["x2", "--timezone", "Mars/Olympus"], "time zone"),
        (["x3", "--starts-at", "tomorrow"], "ISO 8601"),
        (["pyparis"], "already exists"),
    ]:
        result = invoke(runner, "events", "create", *args[:1], "--name", "X", "--organizer",
                        organizer.email, *args[1:])
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_attendee_import_is_all_or_nothing_and_idempotent(runner, make_event, tmp_path):
    event = make_event()
    good = tmp_path / "good.csv"
    good.write_text("\ufeff" + CSV_HEADER
                    + "Ada Lovelace,ada@example.org,Engines,Analyst,math;poetry,math help,funding\n"
                    + "Grace Hopper,grace@example.org,Navy,Admiral,COBOL,compilers,\n",
                    encoding="utf-8")
    first = invoke(runner, "attendees", "import", event.slug, str(good))
    assert first.exit_code == 0 and "2 created" in first.output
    second = invoke(runner, "attendees", "import", event.slug, str(good))
    assert second.exit_code == 0 and "0 created, 0 updated, 2 unchanged" in second.output
    ada = db.session.scalar(select(Attendee).where(Attendee.email == "ada@example.org"))
    assert ada.interests == ["math", "poetry"] and ada.asks == ["funding"]

    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_HEADER + "New Person,new@example.org,,,,,\n"
                   + "No Email,,,,,,\n" + "Bad,bad-email,,,,,\n"
                   + "Dup,new@example.org,,,,,\n", encoding="utf-8")
    result = invoke(runner, "attendees", "import", event.slug, str(bad))
    assert result.exit_code == 1
    assert "line 3" in result.output and "line 4" in result.output and "line 5" in result.output
    assert "nothing was imported" in result.output
    assert db.session.scalar(select(func.count(Attendee.id))) == 2

    latin = tmp_path / "latin.csv"
    latin.write_bytes((CSV_HEADER + "Hélène,helene@example.org,,,,,\n").encode("latin-1"))
    result = invoke(runner, "attendees", "import", event.slug, str(latin))
    assert result.exit_code == 1 and "UTF-8" in result.output
    missing = invoke(runner, "attendees", "import", "no-such-event", str(good))
    assert missing.exit_code == 1 and "No such event" in missing.output


def test_attendee_export_json_with_secrets(runner, make_event, make_attendee):
    event = make_event()
    attendee = make_attendee(event, name="Ada", interests=["math"])
    result = invoke(runner, "attendees", "export", event.slug, "--format", "json",
                    "--with-secrets")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    [record] = doc["attendees"]
    assert set(record) >= {"id", "name", "email", "company", "title", "interests", "offers",
                           "asks", "badge_token", "badge_url", "magic_link", "access_token"}
    assert record["badge_url"] == f"http://eventnet.test/b/{attendee.badge.token}"
    assert record["access_token"] != record["badge_token"]
    plain = invoke(runner, "attendees", "export", event.slug, "--format", "json")
    assert "access_token" not in json.loads(plain.stdout)["attendees"][0]
    csv_out = invoke(runner, "attendees", "export", event.slug)
    assert csv_out.stdout.splitlines()[0].startswith("id,name,email")


def test_badges_command_writes_a_pdf(runner, make_event, make_attendee, tmp_path):
    event = make_event()
    make_attendee(event, name="Zoé Chevalier")
    out = tmp_path / "badges.pdf"
    result = invoke(runner, "badges", event.slug, "-o", str(out), "--layout", "sheet-6",
                    "--paper", "letter")
    assert result.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["badges", event.slug, "-o", str(out), "--layout", "poster"])
    assert bad.exit_code == 2 and "poster" in bad.output
    labels = invoke(runner, "badges", event.slug, "-o", str(out), "--layout", "label")
    assert labels.exit_code == 0 and out.read_bytes().startswith(b"%PDF")


def test_demo_is_idempotent(runner):
    first = invoke(runner, "demo", "--attendees", "10")
    assert first.exit_code == 0 and "demo@example.org" in first.output and "/m/" in first.output
    count = db.session.scalar(select(func.count(Attendee.id)))
    second = invoke(runner, "demo", "--attendees", "10")
    assert second.exit_code == 0 and "already exists" in second.output
    assert db.session.scalar(select(func.count(Attendee.id))) == count == 10
    # held today, and named after this month (it was "… Novembre" whatever the date)
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    assert event.name == f"Paris Tech Meetup — {event.starts_at:%B %Y}"


def test_console_script_lists_every_command(tmp_path):
    script = Path(sys.executable).with_name("eventnet")
    env = {"EVENTNET_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env,
                            check=True)
    for command in ("attendees", "badges", "db", "demo", "events", "organizers", "outbox",
                    "run"):
        assert f"  {command}" in result.stdout
    flask = subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "eventnet",
                            "organizers", "--help"], capture_output=True, text=True, env=env)
    assert flask.returncode == 0 and "create" in flask.stdout
    upgrade = subprocess.run([str(script), "db", "upgrade"], capture_output=True, text=True,
                             env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "eventnet.sqlite3").exists() and (tmp_path / "secret_key").exists()


def test_import_records_consents_only_for_new_attendees(runner, make_event, make_attendee,
                                                         tmp_path):
    event = make_event()
    make_attendee(event, email="withdrew@example.org", consent_introductions=False,
                  consent_followup=False)
    path = tmp_path / "people.csv"
    path.write_text(CSV_HEADER + "Ada,ada@example.org,,,,,\n"
                    + "Withdrew,withdrew@example.org,,,,,\n", encoding="utf-8")
    result = invoke(runner, "attendees", "import", event.slug, str(path),
                    "--consent", "introductions", "--consent", "followup")
    assert result.exit_code == 0, result.output
    ada = db.session.scalar(select(Attendee).where(Attendee.email == "ada@example.org"))
    assert ada.consent_introductions and ada.consent_followup
    assert not ada.consent_share_contact
    kept = db.session.scalar(select(Attendee).where(Attendee.email == "withdrew@example.org"))
    assert not kept.consent_introductions and not kept.consent_followup  # withdrawal stands
    bad = runner.invoke(args=["attendees", "import", event.slug, str(path), "--consent", "all"])
    assert bad.exit_code == 2


def test_eventnet_csv_consent_columns(runner, make_event, tmp_path):
    event = make_event()
    path = tmp_path / "people.csv"
    path.write_text("name,email,consent_introductions,consent_share_contact\n"
                    "Ada,ada@example.org,yes,no\nGrace,grace@example.org,oui,1\n",
                    encoding="utf-8")
    assert invoke(runner, "attendees", "import", event.slug, str(path)).exit_code == 0
    rows = dict(db.session.execute(select(Attendee.email, Attendee.consent_share_contact)).all())
    assert rows == {"ada@example.org": False, "grace@example.org": True}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,consent_followup\nX,x@example.org,maybe\n", encoding="utf-8")
    result = invoke(runner, "attendees", "import", event.slug, str(bad))
    assert result.exit_code == 1 and "consent_followup must be yes or no" in result.output


def test_arguments_that_are_not_unicode_are_refused(runner, make_organizer):
    """Bytes that are not UTF-8 on the command line reach Python as lone surrogates
    (surrogateescape); stored, they broke every page and email that showed them."""
    organizer = make_organizer()
    name = invoke(runner, "events", "create", "meetup", "--organizer", organizer.email,
                  "--name", "Meetup \udcff", "--starts-at", "2030-05-01T18:00+02:00")
    assert name.exit_code == 2 and "not valid Unicode" in name.output
    email = invoke(runner, "organizers", "create", "ann\udce9@example.org", "--password-stdin",
                   input="long enough password\n")
    assert email.exit_code == 2 and "not valid Unicode" in email.output
    from eventnet.models import Event, Organizer

    assert db.session.scalar(select(func.count(Event.id))) == 0
    assert db.session.scalar(select(func.count(Organizer.id))) == 1
