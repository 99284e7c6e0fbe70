"""Organizer texts in two languages: each reader gets the event's texts in their own language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee, Event
from eventnet.services import followup_mail

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _create(client: Any, **extra: str) -> Any:
    return client.post("/events/new", data={
        "slug": "rust-paris", "name": "Rust Paris", "timezone": "Europe/Paris", "community": "new",
        "followup_list_size": "10", "is_registration_open": "y", "language": "en",
        "description": "Monthly Rust meetup.",
        "questions": "Dietary needs: none | vegetarian\nT-shirt size",
        "followup_intro": "Thanks for coming!",
        "description_2": "Rencontre Rust mensuelle.",
        "questions_2": "Régime alimentaire : aucun | végétarien\nTaille de t-shirt",
        "followup_intro_2": "Merci d’être venus !", **extra})


def test_the_public_page_and_its_questions_speak_the_readers_language(
        client: Any, auth: Any, make_organizer: Any) -> None:
    auth.organizer(make_organizer().email)
    assert _create(client).status_code == 302
    french = client.get("/e/rust-paris", headers=FRENCH).get_data(as_text=True)
    assert "Rencontre Rust mensuelle." in french and "Monthly Rust meetup." not in french
    assert "Régime alimentaire" in french and "végétarien" in french
    assert "Taille de t-shirt" in french and "Dietary needs" not in french
    english = client.get("/e/rust-paris", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "Monthly Rust meetup." in english and "Dietary needs" in english
    assert "Rencontre Rust" not in english

    # A French registrant picks "végétarien": the answer is stored as the organizer's choice,
    # so exports and the organizer's pages read the same whatever the registrant's language.
    page = client.get("/e/rust-paris", headers=FRENCH)
    assert page.status_code == 200
    answer = client.post("/e/rust-paris", headers=FRENCH, data={
        "name": "Zoé Chevalier", "email": "zoe@example.org", "language": "fr",
        "q_dietary_needs": "vegetarian", "q_t_shirt_size": "M"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    zoe = db.session.scalar(select(Attendee).where(Attendee.email == "zoe@example.org"))
    assert zoe.answers["dietary_needs"] == "vegetarian"


def test_the_follow_up_intro_is_in_the_attendees_language_or_the_original(
        client: Any, auth: Any, make_organizer: Any, make_attendee: Any) -> None:
    auth.organizer(make_organizer().email)
    assert _create(client).status_code == 302
    event = db.session.scalar(select(Event).where(Event.slug == "rust-paris"))
    zoe = make_attendee(event, "Zoé Chevalier", "zoe@example.org", language="fr")
    ann = make_attendee(event, "Ann Archer", "ann@example.org", language="en")
    french = followup_mail.preview_email(event, zoe.id)
    assert "Merci d’être venus !" in french["text"] and "Thanks for coming" not in french["text"]
    assert "Merci d’être venus !" in french["html"]
    english = followup_mail.preview_email(event, ann.id)
    assert "Thanks for coming!" in english["text"] and "Merci" not in english["text"]

    # Without a French intro, French readers get the one that was written.
    edit = client.post("/events/rust-paris/edit", data={
        "name": "Rust Paris", "timezone": "Europe/Paris", "followup_list_size": "10",
        "language": "en", "followup_intro": "Thanks for coming!",
        "questions": "Dietary needs: none | vegetarian\nT-shirt size"})
    assert edit.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert "Thanks for coming!" in followup_mail.preview_email(event, zoe.id)["text"]


def test_texts_written_in_french_first_reach_english_readers_in_english(
        client: Any, make_event: Any, make_attendee: Any) -> None:
    event = make_event(name="Meetup Rust", language="fr", followup_intro="Merci à tous !",
                       description="Rencontre mensuelle.",
                       second_texts={"followup_intro": "Thanks, everyone!",
                                     "description": "Monthly meetup."})
    ann = make_attendee(event, "Ann Archer", "ann@example.org", language="en")
    zoe = make_attendee(event, "Zoé Chevalier", "zoe@example.org", language="fr")
    assert "Thanks, everyone!" in followup_mail.preview_email(event, ann.id)["text"]
    assert "Merci à tous !" in followup_mail.preview_email(event, zoe.id)["text"]
    english = client.get(f"/e/{event.slug}", headers={"Accept-Language": "en"})
    assert "Monthly meetup." in english.get_data(as_text=True)


def test_second_language_questions_that_do_not_line_up_are_refused(
        client: Any, auth: Any, make_organizer: Any) -> None:
    auth.organizer(make_organizer().email)
    missing = _create(client, questions_2="Régime alimentaire : aucun | végétarien")
    assert missing.status_code == 422
    assert "2 expected, 1 given" in missing.get_data(as_text=True)
    choices = _create(client, questions_2="Régime alimentaire : aucun | végétarien | vegan\n"
                                          "Taille de t-shirt")
    assert choices.status_code == 422
    assert "same choices" in choices.get_data(as_text=True)
    unknown = _create(client, language="de")
    assert unknown.status_code == 422
    assert db.session.scalar(select(Event).where(Event.slug == "rust-paris")) is None


def test_the_edit_form_shows_both_languages_back(
        client: Any, auth: Any, make_organizer: Any) -> None:
    auth.organizer(make_organizer().email)
    assert _create(client).status_code == 302
    form = client.get("/events/rust-paris/edit").get_data(as_text=True)
    assert "Régime alimentaire: aucun | végétarien" in form
    assert "Merci d’être venus !" in form and "Rencontre Rust mensuelle." in form
