"""Forms of the organizer backend, and what the event form gives the services."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from eventnet.models import MAX_ID, Attendee, Event
from eventnet.models.organizer import ROLE_ORGANIZER, ROLE_STAFF
from eventnet.services import events as event_service
from eventnet.services.events import MAX_CAPACITY
from eventnet.services.imports import PARSERS
from eventnet.services.organizers import MIN_PASSWORD_LENGTH
from eventnet.services.profiles import Profile, split_list
from eventnet.web.forms_common import ProfileForm, choices


class SignInForm(FlaskForm):
    """Organizer sign-in."""

    email = StringField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class EventForm(FlaskForm):
    """Create or edit an event."""

    slug = StringField(_l("Short name in the URL"), validators=[
        Optional(), Length(max=80),
        Regexp(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
               message=_l("Lowercase letters, digits and dashes only.")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    is_registration_open = BooleanField(_l("Registration is open"), default=True)
    capacity = IntegerField(_l("Capacity (empty: no limit)"),
                            validators=[Optional(), NumberRange(min=1, max=MAX_CAPACITY)])
    interest_tags = StringField(_l("Suggested interests (separated by commas)"),
                                validators=[Optional(), Length(max=2000)])
    scan_tags = StringField(_l("Quick tags when scanning (separated by commas)"),
                            validators=[Optional(), Length(max=1000)])
    questions = TextAreaField(
        _l("Custom questions, one per line. End with * if required; "
           "'Label: a | b | c' for a choice; start with [ ] for a checkbox."),
        validators=[Optional(), Length(max=5000)])
    followup_list_size = IntegerField(_l("People in each follow-up list"), default=10,
                                      validators=[DataRequired(), NumberRange(min=1, max=50)])
    followup_sender_name = StringField(_l("Follow-up sender name"),
                                       validators=[Optional(), Length(max=200)])
    followup_reply_to = StringField(_l("Follow-up reply-to address"),
                                    validators=[Optional(), Email(), Length(max=254)])
    followup_intro = TextAreaField(_l("Follow-up introduction paragraph"),
                                   validators=[Optional(), Length(max=5000)])
    language = SelectField(_l("Language of these texts"), default="en", choices=choices([
        ("en", "English"), ("fr", "Français")]), validators=[DataRequired()])
    # The same texts in the other language, all optional: readers of that language get them,
    # the others (and everyone, where one is left empty) get the texts above.
    description_2 = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    questions_2 = TextAreaField(_l("Custom questions, one per line, in the same order"),
                                validators=[Optional(), Length(max=5000)])
    followup_intro_2 = TextAreaField(_l("Follow-up introduction paragraph"),
                                     validators=[Optional(), Length(max=5000)])

    @classmethod
    def for_event(cls, event: Event | None = None) -> EventForm:
        """The form with the time zones to choose from, filled with the event (or a new
        event's defaults) unless submitted."""
        form = cls()
        form.timezone.choices = choices([(tz, tz) for tz in event_service.timezone_choices()])
        if form.is_submitted():
            return form
        if event is None:
            form.timezone.data = "Europe/Paris"
            form.scan_tags.data = ", ".join(Event.scan_tags.default.arg(None))
            return form
        zone = ZoneInfo(event.timezone)
        form.slug.data = event.slug
        form.name.data = event.name
        form.description.data = event.description
        form.venue.data = event.venue
        form.starts_at.data = (event.starts_at.astimezone(zone).replace(tzinfo=None)
                               if event.starts_at else None)
        form.ends_at.data = (event.ends_at.astimezone(zone).replace(tzinfo=None)
                             if event.ends_at else None)
        form.timezone.data = event.timezone
        form.is_registration_open.data = event.is_registration_open
        form.capacity.data = event.capacity
        form.interest_tags.data = ", ".join(event.interest_tags)
        form.scan_tags.data = ", ".join(event.scan_tags)
        form.questions.data = event_service.format_questions(event.questions)
        form.followup_list_size.data = event.followup_list_size
        form.followup_sender_name.data = event.followup_sender_name
        form.followup_reply_to.data = event.followup_reply_to
        form.followup_intro.data = event.followup_intro
        form.language.data = event.language
        second = event.second_texts or {}
        form.description_2.data = second.get("description", "")
        form.followup_intro_2.data = second.get("followup_intro", "")
        form.questions_2.data = event_service.format_second_questions(event)
        return form

    def event_data(self) -> event_service.EventData:
        """The submitted settings for ``create_event`` / ``update_event``; raises ``Invalid``
        for an unknown time zone or a custom question it cannot read."""
        tz = self.timezone.data or "UTC"
        zone = ZoneInfo(event_service.check_timezone(tz))
        questions = event_service.parse_questions(self.questions.data or "")
        return event_service.EventData(
            name=self.name.data or "", description=self.description.data or "",
            venue=self.venue.data or "",
            starts_at=self.starts_at.data.replace(tzinfo=zone) if self.starts_at.data else None,
            ends_at=self.ends_at.data.replace(tzinfo=zone) if self.ends_at.data else None,
            timezone=tz, is_registration_open=bool(self.is_registration_open.data),
            capacity=self.capacity.data,
            questions=questions,
            interest_tags=split_list(self.interest_tags.data),
            scan_tags=split_list(self.scan_tags.data),
            followup_list_size=self.followup_list_size.data or 10,
            followup_sender_name=self.followup_sender_name.data or "",
            followup_reply_to=self.followup_reply_to.data or "",
            followup_intro=self.followup_intro.data or "",
            language=self.language.data or "en",
            second_texts=event_service.second_texts_from(
                questions, description=self.description_2.data or "",
                followup_intro=self.followup_intro_2.data or "",
                questions_text=self.questions_2.data or ""),
        )


#: the community choice that makes a new community for the event alone
NEW_COMMUNITY = "new"


class NewEventForm(EventForm):
    """Create an event: the organizer says in which community (its people and their history
    are shared with the community's other events) or in a new one of its own."""

    community = SelectField(_l("Community"), validators=[
        DataRequired(message=_l("Choose the community of this event, or a new one."))])


class BadgesForm(FlaskForm):
    """Choose a badge layout."""

    layout = SelectField(_l("Layout"), choices=choices([
        ("a6", _l("A6, one badge per page")),
        ("sheet-6", _l("Six 4×3 in badges per sheet")),
        ("label", _l("4 × 3 in label")),  # a label printer's roll, as at the door
    ]))
    paper = SelectField(_l("Paper"), choices=choices([("a4", "A4"), ("letter", "US Letter")]))


class CommunityForm(FlaskForm):
    """A community's name."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class InviteForm(FlaskForm):
    """Invite someone to the team."""

    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), default=ROLE_STAFF, choices=choices([
        (ROLE_STAFF, _l("Door staff: checks attendees in, nothing else")),
        (ROLE_ORGANIZER, _l("Co-organizer: full access to the community")),
    ]))


class NewAccountForm(FlaskForm):
    """Create an organizer account to accept an invitation."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Choose a password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)])


class AttendeeEditForm(ProfileForm):
    """The organizer's edit of an attendee: the profile, never the consents or language."""

    consent_share_contact = None
    consent_introductions = None
    consent_followup = None
    language = None

    def fill(self, person: Attendee) -> None:
        """Prefill the form with the attendee's profile (on GET)."""
        for name in ("name", "email", "company", "title", "bio", "phone"):
            getattr(self, name).data = getattr(person, name)
        self.interests.data = ", ".join(person.interests)
        for name in ("offers", "asks", "links"):
            getattr(self, name).data = "\n".join(getattr(person, name))
        for key, value in (person.answers or {}).items():
            field = getattr(self, f"q_{key}", None)
            if field is not None:
                field.data = value

    def profile(self, event: Event) -> Profile:
        """The submitted profile; consents and language are kept by the service."""
        answers = {q["key"]: getattr(self, f"q_{q['key']}").data for q in event.questions}
        return Profile(
            name=self.name.data or "", email=(self.email.data or "").strip() or None,
            company=(self.company.data or "").strip(), title=(self.title.data or "").strip(),
            bio=(self.bio.data or "").strip(),
            interests=split_list(self.interests.data),
            offers=split_list(self.offers.data, commas=False),
            asks=split_list(self.asks.data, commas=False),
            links=split_list(self.links.data, commas=False),
            phone=(self.phone.data or "").strip(), answers=answers)


class OnsiteForm(FlaskForm):
    """Register someone at the door (and check them in)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email (optional: for their follow-up and sign-in link)"),
                        validators=[Optional(), Email(), Length(max=254)])
    company = StringField(_l("Company or organisation"), validators=[Optional(), Length(max=200)])
    consent_followup = BooleanField(_l("They agree to receive one follow-up email"))
    #: shown to organizers (never staff) when the event is full
    over_capacity = BooleanField(_l("Register them although the event is full"))


class ConfirmSendForm(FlaskForm):
    """"Send N follow-ups now", after the summary (a second click queues nothing);
    ``early`` acknowledges that the event has not ended yet (required only then)."""

    confirm = HiddenField(default="1", validators=[DataRequired()])
    early = BooleanField(_l("I know the event is not over: send the follow-ups anyway"))


class TestForm(FlaskForm):
    """Send one attendee's follow-up to myself."""

    attendee = IntegerField(_l("Attendee"), validators=[DataRequired(),
                                                        NumberRange(min=1, max=MAX_ID)])


#: the import formats as the upload form and an import's page name them
FORMAT_LABELS = {
    "auto": _l("Detect from the header row"),
    "eventnet": "eventnet CSV",
    "eventbrite": "Eventbrite",
    "meetup": "Meetup",
    "luma": "Luma",
}


class UploadForm(FlaskForm):
    """Choose a file and its format."""

    file = FileField(_l("Attendee file (CSV)"), validators=[FileRequired()])
    format = SelectField(_l("Format"), default="auto", choices=choices(
        [(k, FORMAT_LABELS[k]) for k in ("auto", *PARSERS)]))
