"""What an organizer writes about an event is saved without bidi or control characters, in
both languages: it shows on the public page and in every attendee's mail, where a
right-to-left override would reverse how a phone number or a link reads."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Event
from eventnet.services.events import EventData, update_event
from eventnet.services.storable import BIDI_CONTROLS

RLO = "\u202e"


def _has_controls(value: Any) -> bool:
    """Whether any text in ``value`` holds a bidi control or a control character (JSON
    writes the latter as ``\\u00xx``, and the bidi controls as they are)."""
    text = json.dumps(value, ensure_ascii=False)
    return any(c in text for c in BIDI_CONTROLS) or "\\u00" in text


def test_the_event_forms_save_the_organizer_texts_without_bidi(client: Any, auth: Any,
                                                               make_organizer: Any) -> None:
    auth.organizer(make_organizer().email)
    created = client.post("/events/new", data={
        "slug": "rust-paris", "name": "Rust Paris", "timezone": "Europe/Paris",
        "community": "new", "followup_list_size": "10", "is_registration_open": "y",
        "language": "en",
        "venue": f"Station F{RLO} Hall\x07 A",
        "description": f"Call us on{RLO} 0123 4567.\nSecond line stays.",
        "questions": f"Dietary{RLO} needs: none | vege{RLO}tarian\nT-shirt size",
        "interest_tags": f"Rust, W{RLO}asm, Wasm",
        "scan_tags": f"hiring, men{RLO}tor",
        "followup_intro": f"Thanks{RLO} for coming!\nSee you soon.",
        "description_2": f"Appelez{RLO} le 0123 4567.",
        "questions_2": f"Régime{RLO} : aucun | végétarien\nTaille de t-shirt",
        "followup_intro_2": f"Merci{RLO} d’être venus !"})
    assert created.status_code == 302
    event = db.session.scalars(select(Event).where(Event.slug == "rust-paris")).one()
    assert event.venue == "Station F Hall A"
    assert event.description == "Call us on 0123 4567.\nSecond line stays."  # lines kept
    assert event.followup_intro == "Thanks for coming!\nSee you soon."
    assert [q["label"] for q in event.questions] == ["Dietary needs", "T-shirt size"]
    assert event.questions[0]["choices"] == ["none", "vegetarian"]
    assert event.interest_tags == ["Rust", "Wasm"]  # the cleaned repeat folded
    assert event.scan_tags == ["hiring", "mentor"]
    assert event.second_texts["description"] == "Appelez le 0123 4567."
    assert event.second_texts["followup_intro"] == "Merci d’être venus !"
    assert event.second_texts["questions"][event.questions[0]["key"]]["label"] == "Régime"
    assert not _has_controls([event.venue, event.description, event.questions,
                              event.interest_tags, event.scan_tags, event.followup_intro,
                              event.second_texts])
    # the public page shows the texts as saved
    page = client.get("/e/rust-paris").get_data(as_text=True)
    assert RLO not in page and "Call us on 0123 4567." in page


def test_an_update_cleans_them_too(make_event: Any) -> None:
    event = make_event()
    update_event(event.id, EventData(
        name=event.name, timezone=event.timezone, description=f"a{RLO}b",
        followup_intro=f"c{RLO}d", venue=f"e{RLO}f", interest_tags=[f"g{RLO}h"],
        questions=[{"key": "q", "label": f"i{RLO}j", "kind": "text", "required": False,
                    "choices": []}]))
    db.session.expire_all()
    saved = db.session.get(Event, event.id)
    assert (saved.description, saved.followup_intro, saved.venue, saved.interest_tags,
            saved.questions[0]["label"]) == ("ab", "cd", "ef", ["gh"], "ij")
