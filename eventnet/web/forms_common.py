"""Form pieces shared by the blueprints: the profile form, the bare confirmation form, and the
turning of a service's error into a form error or a flash."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import flash
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from eventnet.models import Event
from eventnet.services.errors import EventnetError
from eventnet.services.profiles import Profile, split_list


class ConfirmForm(FlaskForm):
    """A bare POST with CSRF, to confirm an action announced on a GET page or a button."""


def choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


class ProfileForm(FlaskForm):
    """An attendee's profile and consents."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    company = StringField(_l("Company or organisation"), validators=[Optional(), Length(max=200)])
    title = StringField(_l("Role or title"), validators=[Optional(), Length(max=200)])
    bio = TextAreaField(_l("A few words about you"), validators=[Optional(), Length(max=2000)])
    interests = StringField(_l("Interests (separated by commas)"),
                            validators=[Optional(), Length(max=2000)])
    offers = TextAreaField(_l("I can help with (one per line)"),
                           validators=[Optional(), Length(max=2000)])
    asks = TextAreaField(_l("I am looking for (one per line)"),
                         validators=[Optional(), Length(max=2000)])
    links = TextAreaField(_l("Links: website, LinkedIn, GitHub... (one per line)"),
                          validators=[Optional(), Length(max=2000)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=50)])
    consent_share_contact = BooleanField(
        _l("Share my email, phone and links with the people I connect with at the event"))
    consent_introductions = BooleanField(
        _l("Suggest me for introductions to people I have not met yet (double opt-in)"))
    consent_followup = BooleanField(_l("Send me one follow-up email after the event"))
    language = SelectField(_l("Language"), choices=choices([("en", "English"), ("fr", "Français")]))

    def profile(self, event: Event) -> Profile:
        """The submitted profile (custom questions read from ``q_<key>`` fields)."""
        answers: dict[str, Any] = {}
        for q in event.questions:
            field = getattr(self, f"q_{q['key']}", None)
            if field is not None:
                answers[q["key"]] = field.data
        return Profile(
            name=self.name.data or "",
            email=self.email.data if self.email is not None else None,
            company=(self.company.data or "").strip(), title=(self.title.data or "").strip(),
            bio=(self.bio.data or "").strip(),
            interests=split_list(self.interests.data),
            offers=split_list(self.offers.data, commas=False),
            asks=split_list(self.asks.data, commas=False),
            links=split_list(self.links.data, commas=False),
            phone=(self.phone.data or "").strip(),
            answers=answers,
            consent_share_contact=bool(self.consent_share_contact.data),
            consent_introductions=bool(self.consent_introductions.data),
            consent_followup=bool(self.consent_followup.data),
            language=self.language.data or "en",
        )


def with_questions(form_class: type[ProfileForm], event: Event) -> type[ProfileForm]:
    """A subclass of ``form_class`` with one field per custom question of the event, labelled
    in the request's language where the organizer gave the questions in it."""
    attrs: dict[str, Any] = {}
    for q in event.questions_in(str(get_locale() or "en")):
        validators = [DataRequired()] if q.get("required") else [Optional()]
        if q["kind"] == "checkbox":
            attrs[f"q_{q['key']}"] = BooleanField(q["label"],
                                                  validators=validators[:1] if q.get("required")
                                                  else [])
        elif q["kind"] == "choice":
            attrs[f"q_{q['key']}"] = SelectField(
                q["label"], choices=choices([("", "—"), *zip(q["choices"], q["choice_labels"],
                                                           strict=True)]),
                validators=validators)
        else:
            attrs[f"q_{q['key']}"] = StringField(q["label"],
                                                 validators=[*validators, Length(max=500)])
    return type(f"{form_class.__name__}For{event.id}", (form_class,), attrs)


def fill_from_attendee(form: ProfileForm, attendee: Any) -> None:
    """Prefill a profile form from an attendee on GET."""
    form.name.data = attendee.name
    if form.email is not None:
        form.email.data = attendee.email
    form.company.data = attendee.company
    form.title.data = attendee.title
    form.bio.data = attendee.bio
    form.interests.data = ", ".join(attendee.interests)
    form.offers.data = "\n".join(attendee.offers)
    form.asks.data = "\n".join(attendee.asks)
    form.links.data = "\n".join(attendee.links)
    form.phone.data = attendee.phone
    form.consent_share_contact.data = attendee.consent_share_contact
    form.consent_introductions.data = attendee.consent_introductions
    form.consent_followup.data = attendee.consent_followup
    form.language.data = attendee.language
    for key, value in (attendee.answers or {}).items():
        field = getattr(form, f"q_{key}", None)
        if field is not None:
            field.data = value


def attach_error(form: FlaskForm, field: str | None, message: str) -> None:
    """Show a service error next to the field it names (or at the top of the form)."""
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*list(target.errors), message]
    else:
        form.form_errors.append(message)


class service_errors:  # lowercase: a context manager, like contextlib.suppress
    """``with service_errors(form):`` shows an ``EventnetError`` raised in the block next to the
    form field it names (at the top of the form; as an error flash when there is no form) and
    goes on after the block, where the page is shown again."""

    def __init__(self, form: FlaskForm | None = None) -> None:
        self.form = form

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> bool:
        if not isinstance(exc, EventnetError):
            return False
        if self.form is None:
            flash(exc.message, "error")
        else:
            attach_error(self.form, exc.field, exc.message)
        return True  # handled: the code after the block runs


def form_status(form: FlaskForm) -> int:
    """The status of a page that shows a form: 422 when it has errors, else 200."""
    return 422 if form.errors or form.form_errors else 200
