"""Erasure reaches the import reports: rejected and skipped rows quote names and addresses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import ImportJob
from eventnet.models.import_job import DONE, FAILED
from eventnet.services.erasure import ERASED_NAME, erase_attendee


def _report(event_id: int, **values: Any) -> int:
    with write_transaction() as session:
        job = ImportJob(event_id=event_id, filename="people.csv", **values)
        session.add(job)
        session.flush()
        return job.id


def test_erasure_takes_her_out_of_the_event_import_reports(make_event, make_attendee):
    event, elsewhere = make_event(), make_event()
    ann = make_attendee(event, "Ann Martin", "Ann.Martin@example.org")
    make_attendee(event, "Bob Stone", "bob@example.org")
    refused = _report(event.id, state=FAILED, error_code="rejected_rows", errors=[
        [3, "duplicate of line 2 (ann.martin@example.org)"],
        [4, "duplicate of line 1 (bob@example.org)"]])
    done = _report(event.id, state=DONE, result={
        "created": 2, "updated": 0, "unchanged": 0,
        "skipped": [[7, 'Ann Martin: RSVP "no"'], [8, 'Bob Stone: RSVP "no"']]})
    failed = _report(event.id, state=FAILED, error="Line 6: ann.martin@example.org is already "
                                                    "registered as another attendee.")
    other_event = _report(elsewhere.id, state=FAILED,
                          errors=[[2, "duplicate of line 1 (ann.martin@example.org)"]])

    result = erase_attendee(ann.id)

    assert result.import_reports == 3
    db.session.expire_all()
    jobs = {job.id: job for job in db.session.scalars(select(ImportJob))}
    assert jobs[refused].errors == [
        [3, f"duplicate of line 2 ({ERASED_NAME})"],
        [4, "duplicate of line 1 (bob@example.org)"]]  # the others stay as they were
    assert jobs[done].result["skipped"] == [[7, f'{ERASED_NAME}: RSVP "no"'],
                                            [8, 'Bob Stone: RSVP "no"']]
    assert jobs[done].result["created"] == 2
    assert "ann" not in jobs[failed].error.lower()
    # another event's reports are about its own attendees, not her
    assert jobs[other_event].errors == [[2, "duplicate of line 1 (ann.martin@example.org)"]]


def test_erasure_with_no_report_naming_her_changes_none(make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event, "Ann Martin")
    job_id = _report(event.id, state=FAILED, errors=[[2, "name: required"]])
    assert erase_attendee(ann.id).import_reports == 0
    db.session.expire_all()
    assert db.session.get(ImportJob, job_id).errors == [[2, "name: required"]]
