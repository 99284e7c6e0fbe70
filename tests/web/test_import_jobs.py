"""Web imports run as background jobs: all rows or none, followed on a page that reloads.

Jobs run in a thread (no broker in tests); each test waits for the thread (``wait``) or runs
the job itself, never for a time.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from sqlalchemy import func, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Badge, ImportJob, Person, utcnow
from eventnet.services import import_jobs, imports
from tests.mail.conftest import REDIS_URL, celery_worker


def people_csv(first: int, count: int, bad_line: int | None = None) -> bytes:
    lines = ["name,email,company,interests"]
    for i in range(first, first + count):
        email = f"person{i}@example.org"
        if bad_line is not None and len(lines) + 1 == bad_line:
            email = "not an address"
        lines.append(f"Person {i},{email},Company {i % 7},python;data")
    return ("\n".join(lines) + "\n").encode()


def upload(client: Any, slug: str, data: bytes, name: str = "people.csv") -> Any:
    return client.post(f"/events/{slug}/import", data={
        "file": (io.BytesIO(data), name), "format": "auto"}, content_type="multipart/form-data")


def job_id_of(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    found = re.search(r"/import/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def count(event_id: int, model: Any = Attendee) -> int:
    """Rows of ``model`` for the event, as committed (the job wrote from another thread)."""
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.event_id == event_id)) or 0


def total(model: Any) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def job(job_id: int) -> ImportJob:
    db.session.commit()
    found = db.session.get(ImportJob, job_id)
    assert found is not None
    db.session.refresh(found)
    return found


@pytest.fixture
def organizer_event(client, auth, make_organizer, make_event):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    auth.organizer(organizer.email)
    return event


@pytest.fixture
def held(monkeypatch):
    """Jobs are created but not started: the test runs them itself."""
    monkeypatch.setattr(import_jobs, "_start", lambda job_id: None)


def test_a_large_file_imports_in_the_background_and_the_page_reaches_done(
        client, organizer_event):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 2000)))
    import_jobs.wait(job_id)
    page = client.get(f"/events/{event.slug}/import/{job_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-state="done"' in html
    assert "2000 created, 0 updated" in html and 'http-equiv="refresh"' not in html
    assert count(event.id) == 2000
    finished = job(job_id)
    assert finished.data is None and finished.rows_done == finished.rows_total == 2000
    # Each new attendee is whole: a badge, a person of the community, a secret of its own.
    assert db.session.scalar(select(func.count(Badge.id))) == 2000
    assert db.session.scalar(select(func.count(Person.id))) == 2000
    assert db.session.scalar(select(func.count(func.distinct(Attendee.access_token_hash)))) \
        == 2000
    ada = db.session.scalar(select(Attendee).where(Attendee.email == "person1234@example.org"))
    assert ada.person_id is not None and ada.interests == ["python", "data"]
    assert ada.source == "import:eventnet" and ada.badge is not None
    from eventnet.services.attendees import access_token, attendee_for_access_token

    assert attendee_for_access_token(access_token(ada)).id == ada.id
    # The upload page lists it.
    assert f"/import/{job_id}" in client.get(f"/events/{event.slug}/import").get_data(
        as_text=True)


def test_the_page_reloads_itself_until_the_job_ends(client, organizer_event, held):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 30)))
    waiting = client.get(f"/events/{event.slug}/import/{job_id}").get_data(as_text=True)
    assert 'data-state="queued"' in waiting and 'http-equiv="refresh"' in waiting
    assert "30 rows wait to be checked" in waiting and "<script>" not in waiting
    assert job(job_id).data is not None
    import_jobs.run_import_job(job_id)
    done = client.get(f"/events/{event.slug}/import/{job_id}").get_data(as_text=True)
    assert 'data-state="done"' in done and 'http-equiv="refresh"' not in done
    assert count(event.id) == 30
    import_jobs.run_import_job(job_id)  # a second run of the same job does nothing
    assert job(job_id).result["created"] == 30 and count(event.id) == 30


def test_one_bad_row_in_the_middle_stores_nothing_and_the_page_lists_it(client,
                                                                        organizer_event):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 2000, bad_line=1001)))
    import_jobs.wait(job_id)
    page = client.get(f"/events/{event.slug}/import/{job_id}").get_data(as_text=True)
    assert 'data-state="failed"' in page and "1 rejected row" in page
    assert "<td>1001</td>" in page and "Invalid email address" in page
    assert "Nothing was imported" in page
    assert count(event.id) == 0 and total(Person) == 0
    failed = job(job_id)
    assert failed.data is None and failed.errors[0][0] == 1001
    assert failed.error_code == "rejected_rows"


def test_duplicates_in_the_file_are_each_reported(client, organizer_event):
    event = organizer_event
    data = people_csv(0, 50) + b"Again,person7@example.org,,\nTwice,person9@example.org,,\n"
    job_id = job_id_of(upload(client, event.slug, data))
    import_jobs.wait(job_id)
    page = client.get(f"/events/{event.slug}/import/{job_id}").get_data(as_text=True)
    assert "2 rejected rows" in page and "duplicate of line 9" in page
    assert "duplicate of line 11" in page and count(event.id) == 0


def test_a_crash_while_storing_stores_nothing(client, organizer_event, held, monkeypatch):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 2500)))
    real = imports._insert_batch
    batches = []

    def crash_on_the_second(*args: Any, **kwargs: Any) -> int:
        batches.append(1)
        if len(batches) == 2:
            raise RuntimeError("the server went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_insert_batch", crash_on_the_second)
    with pytest.raises(RuntimeError):
        import_jobs.run_import_job(job_id)
    assert count(event.id) == 0 and total(Person) == 0
    assert db.session.scalar(select(func.count(Badge.id))) == 0
    crashed = job(job_id)
    assert crashed.state == "failed" and crashed.error_code == "internal_error"
    assert crashed.data is None
    page = client.get(f"/events/{event.slug}/import/{job_id}").get_data(as_text=True)
    assert "nothing was imported" in page


def test_two_uploads_at_once_do_not_interleave(client, organizer_event):
    """Two files sharing 500 people, imported at the same time: one stores first, the other
    then finds those 500 already here, and nobody is there twice."""
    event = organizer_event
    first = job_id_of(upload(client, event.slug, people_csv(0, 1500), "first.csv"))
    second = job_id_of(upload(client, event.slug, people_csv(1000, 1500), "second.csv"))
    import_jobs.wait(first)
    import_jobs.wait(second)
    results = [job(first), job(second)]
    assert [j.state for j in results] == ["done", "done"], [j.error for j in results]
    created = sorted(j.result["created"] for j in results)
    unchanged = sorted(j.result["unchanged"] for j in results)
    assert created == [1000, 1500] and unchanged == [0, 500]
    assert count(event.id) == 2500
    assert db.session.scalar(select(func.count(func.distinct(Attendee.email)))) == 2500


def test_the_same_file_twice_changes_nothing_the_second_time(client, organizer_event):
    event = organizer_event
    data = people_csv(0, 1200)
    first = job_id_of(upload(client, event.slug, data))
    import_jobs.wait(first)
    second = job_id_of(upload(client, event.slug, data))
    import_jobs.wait(second)
    assert job(second).result["unchanged"] == 1200 and count(event.id) == 1200


@pytest.mark.parametrize(("data", "status", "words"), [
    (b"", 422, "empty"),
    (b"name,email\n", 422, "no attendees"),
    ("name,email\nAnaïs,anais@example.org\n".encode("cp1252"), 422, "not UTF-8"),
    ("name,email\n".encode("utf-16"), 422, "UTF-16"),
    (b"name;email\nAda;ada@example.org\n", 422, "semicolons"),
    (b"Nom,Courriel\nAda,ada@example.org\n", 422, "Unrecognised file"),
    (people_csv(0, 200), 413, "too large"),
])
def test_bad_uploads_get_a_clear_4xx_and_no_job(client, organizer_event, monkeypatch, data,
                                                status, words):
    # The limit made small, so the test sends kilobytes, not 20 MB.
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 5000)
    event = organizer_event
    response = upload(client, event.slug, data)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert count(event.id, ImportJob) == 0 and count(event.id) == 0


def test_a_job_whose_server_died_is_failed_on_its_page(client, organizer_event, held):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 10)))
    with write_transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id)
                        .values(lease_until=utcnow().replace(year=2000)))
    page = client.get(f"/events/{event.slug}/import/{job_id}").get_data(as_text=True)
    assert 'data-state="failed"' in page and "restarted" in page
    assert job(job_id).data is None
    import_jobs.run_import_job(job_id)  # too late: it ended
    assert count(event.id) == 0


def test_another_events_job_is_not_found(client, organizer_event, make_event, make_organizer,
                                         held):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 5)))
    other = make_event(organizer=make_organizer())
    assert client.get(f"/events/{other.slug}/import/{job_id}").status_code == 404
    assert client.get(f"/events/{event.slug}/import/{job_id + 1}").status_code == 404


def test_the_cli_imports_synchronously_through_the_same_service(runner, make_event, tmp_path):
    event = make_event()
    path = tmp_path / "people.csv"
    path.write_bytes(people_csv(0, 1500))
    result = runner.invoke(args=["attendees", "import", event.slug, str(path)])
    assert result.exit_code == 0, result.output
    assert "1500 created" in result.output and count(event.id) == 1500
    path.write_bytes(people_csv(2000, 1500, bad_line=700))
    bad = runner.invoke(args=["attendees", "import", event.slug, str(path)])
    assert bad.exit_code == 1 and "line 700" in bad.output and count(event.id) == 1500
    assert imports.BATCH_ROWS < 1500  # the file above took several batches


def test_a_broker_that_is_down_is_a_clear_503_and_keeps_no_file(app, client, organizer_event):
    """Nothing listens on port 1: the upload page says so, and the job holds no file."""
    app.config.update(BROKER_URL="redis://127.0.0.1:1/0")
    try:
        response = upload(client, organizer_event.slug, people_csv(0, 10))
    finally:
        app.config.update(BROKER_URL=None)
    assert response.status_code == 503 and "cannot be reached" in response.get_data(as_text=True)
    db.session.commit()
    refused = db.session.scalar(select(ImportJob))
    assert refused.state == "failed" and refused.data is None
    assert count(organizer_event.id) == 0


@pytest.mark.skipif(not REDIS_URL, reason="EVENTNET_TEST_REDIS_URL is not set")
def test_with_a_broker_a_celery_worker_runs_the_job(app, client, organizer_event, smtp,
                                                    tmp_path):
    with celery_worker(app, smtp, tmp_path) as worker:
        job_id = job_id_of(upload(client, organizer_event.slug, people_csv(0, 1500)))
        deadline = time.monotonic() + 120  # a bound for a stuck worker, not a wait
        while job(job_id).state not in ("done", "failed") and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "celery.log").read_text()
            time.sleep(0.1)
    assert job(job_id).state == "done", (tmp_path / "celery.log").read_text()
    assert job(job_id).result["created"] == 1500 and count(organizer_event.id) == 1500


def test_the_done_page_counts_in_french_with_plurals_not_parentheses(client, organizer_event):
    event = organizer_event
    job_id = job_id_of(upload(client, event.slug, people_csv(0, 2)))
    import_jobs.wait(job_id)
    html = client.get(f"/events/{event.slug}/import/{job_id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert ("Import terminé\u00a0: 2 créés, 0 mis à jour, 0 inchangé, 0 ignoré, "
            "0 arrivée enregistrée." in html)
    assert "(s)" not in html


def test_a_french_upload_is_refused_in_french(client, organizer_event):
    """The job runs in the background, with no request to read the language from: it
    writes what it says in the uploader's language."""
    event = organizer_event
    response = client.post(f"/events/{event.slug}/import", data={
        "file": (io.BytesIO(people_csv(0, 5, bad_line=3)), "people.csv"), "format": "auto"},
        content_type="multipart/form-data", headers={"Accept-Language": "fr"})
    job_id = job_id_of(response)
    import_jobs.wait(job_id)
    html = client.get(f"/events/{event.slug}/import/{job_id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Rien n’a été importé" in html and "Adresse e-mail non valide" in html
    assert "Nothing was imported" not in html and "Invalid email address" not in html
