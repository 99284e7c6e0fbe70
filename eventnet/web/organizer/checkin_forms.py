"""Forms of the door check-in page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional


class OnsiteForm(FlaskForm):
    """Register someone at the door (and check them in)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email (optional: for their follow-up and sign-in link)"),
                        validators=[Optional(), Email(), Length(max=254)])
    company = StringField(_l("Company or organisation"), validators=[Optional(), Length(max=200)])
    consent_followup = BooleanField(_l("They agree to receive one follow-up email"))
    #: shown to organizers (never staff) when the event is full
    over_capacity = BooleanField(_l("Register them although the event is full"))


class CheckInForm(FlaskForm):
    """A bare POST with CSRF: check in the attendee found by name."""
