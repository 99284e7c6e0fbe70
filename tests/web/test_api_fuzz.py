"""The JSON API against its own OpenAPI document, with requests Schemathesis generates.

Valid and invalid bodies, paths and headers for every operation: no 5xx, only documented
statuses, responses that match their schemas, invalid input refused with a 4xx, and a 405
that says which methods are allowed. Deterministic (``derandomize``), so a failure repeats.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks

from eventnet.models import utcnow
from eventnet.services.attendees import access_token
from eventnet.services.organizers import issue_api_token
from eventnet.services.scans import scan_badge

load_all_checks()


class Api:
    """An event with two attendees who met, and the tokens to call the API as them."""

    def __init__(self, app, make_organizer, make_event, make_attendee) -> None:
        organizer = make_organizer()
        self.event = make_event(slug="fuzz", organizer=organizer)
        self.ann = make_attendee(self.event, "Ann")
        self.bob = make_attendee(self.event, "Bob")
        self.bob_badge = self.bob.badge.token
        self.connection_id = scan_badge(self.ann.id, self.event.id, self.bob_badge,
                                        note="Rust").connection_id
        self.attendee_headers = {"Authorization": f"Bearer {access_token(self.ann)}"}
        self.organizer_headers = {
            "Authorization": f"Bearer {issue_api_token(organizer.id)}"}
        self.schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        self.schema.config.update(base_url="http://localhost/api/v1")


@pytest.fixture
def api(app, make_organizer, make_event, make_attendee):
    return Api(app, make_organizer, make_event, make_attendee)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_document(api, client, mode):
    operations = [result.ok() for result in api.schema.get_all_operations()]
    assert len(operations) == 5

    def call(case):
        # Point most generated requests at real objects, so they get past the lookups.
        if "slug" in (case.path_parameters or {}):
            case.path_parameters["slug"] = api.event.slug
        if isinstance((case.path_parameters or {}).get("id"), int) \
                and case.path_parameters["id"] % 2 == 0:
            case.path_parameters["id"] = api.connection_id
        if isinstance(case.body, dict) and isinstance(case.body.get("badge"), str) \
                and len(case.body["badge"]) % 2 == 0:
            case.body["badge"] = api.bob_badge
        if mode is GenerationMode.POSITIVE and isinstance(case.body, dict) \
                and "scanned_at" in case.body:
            # what a schema cannot say: a replayed scan is at most a few days old
            case.body["scanned_at"] = utcnow().isoformat()
        headers = api.organizer_headers if case.path.startswith("/events/") \
            else api.attendee_headers
        case.call_and_validate(session=client, headers=headers)

    fuzz = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
    for operation in operations:
        fuzz(given(case=operation.as_strategy(generation_mode=mode))(call))()
