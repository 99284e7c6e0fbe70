"""The follow-up email speaks to its reader in their language: French typography, quoted
phrases, reasons from the engine rendered as sentences."""

from __future__ import annotations

from typing import Any

from eventnet.services import followup_mail, followups
from tests.followup_data import small_event

NB = "\u00a0"


def test_bobs_french_follow_up_quotes_phrases_and_spaces_its_colons(
        make_event: Any, make_attendee: Any) -> None:
    ev = small_event(make_event, make_attendee)
    result = followups.build_for_event(ev.event)
    rows = followup_mail.load_recipients(ev.event.id)
    mail, _ = followup_mail.render_followup(ev.event, rows[ev.bob.id],
                                            result.followups[ev.bob.id], rows)
    text = mail.text
    # Bob offers "hiring" and Ada asks for it; Ada offers "fundraising", Bob's ask.
    assert (f"Comment vous pouvez aider{NB}: cette personne cherche «{NB}hiring{NB}», "
            f"vous proposez «{NB}hiring{NB}»") in text
    assert f"elle propose «{NB}fundraising{NB}», vous cherchez «{NB}fundraising{NB}»" in text
    # Cy is suggested through Ada and Dee, both of whom Bob met.
    assert f"Contacts en commun{NB}: " in text
    assert " :" not in text and " ;" not in text
