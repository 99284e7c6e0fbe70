"""Forms of the public pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Email, Length

from eventnet.web.forms_common import ProfileForm


class RegistrationForm(ProfileForm):
    """Registration for an event."""


class EmailForm(FlaskForm):
    """Ask for a sign-in link."""

    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    next = HiddenField()


class ClaimForm(FlaskForm):
    """The email address the person wants on their imported profile."""

    email = StringField(_l("Your email"), validators=[DataRequired(), Email(), Length(max=254)])
