"""Forms of the organizer backend."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from eventnet.services.events import MAX_CAPACITY
from eventnet.web.forms_common import choices


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
    ]))
    paper = SelectField(_l("Paper"), choices=choices([("a4", "A4"), ("letter", "US Letter")]))
