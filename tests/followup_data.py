"""A small hand-built event for the follow-up tests: who met whom, with notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventnet.services.scans import record_scan


@dataclass
class SmallEvent:
    """Ada met Bob (mutual, with a note) and Cy; Bob met Dee; Eve met nobody."""

    event: Any
    ada: Any
    bob: Any
    cy: Any
    dee: Any
    eve: Any

    @property
    def everyone(self) -> list[Any]:
        return [self.ada, self.bob, self.cy, self.dee, self.eve]


def small_event(make_event: Any, make_attendee: Any, **event_fields: Any) -> SmallEvent:
    """Five attendees and a few scans; Bob speaks French."""
    event = make_event(name=event_fields.pop("name", "Rust Meetup"),
                       followup_sender_name="Rust Meetup team",
                       followup_reply_to="hello@rust.example",
                       followup_intro="Thanks for coming <b>everyone</b>!", **event_fields)
    ada = make_attendee(event, "Ada Lovelace", "ada@example.org", company="Analytical",
                        offers=["fundraising"], asks=["hiring"], consent_share_contact=True)
    bob = make_attendee(event, "Bob <script>alert(1)</script>", "bob@example.org",
                        company="Bob & Co", offers=["hiring"], asks=["fundraising"],
                        language="fr", links=["https://bob.example"])
    cy = make_attendee(event, "Cy Young", "cy@example.org", consent_share_contact=False)
    dee = make_attendee(event, "Dee Dee", "dee@example.org", company="Dee Ltd",
                        offers=["design"], asks=["fundraising"])
    eve = make_attendee(event, "Eve Alone", "eve@example.org")
    record_scan(ada.id, bob.id, note="Talk about <b>Rust</b> jobs", tags=["follow-up"])
    record_scan(bob.id, ada.id)
    record_scan(ada.id, cy.id)
    record_scan(bob.id, dee.id)
    record_scan(cy.id, dee.id)
    return SmallEvent(event, ada, bob, cy, dee, eve)
