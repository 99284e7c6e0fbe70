"""Forms of the attendee's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from eventnet.services.intros import MAX_MESSAGE_LENGTH
from eventnet.web.forms_common import ProfileForm


class EditProfileForm(ProfileForm):
    """The profile form without the email, which only a new registration changes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.email


class IntroRequestForm(FlaskForm):
    """A says "yes, introduce us", with an optional short message to B."""

    message = TextAreaField(_l("A short message for them (optional)"),
                            validators=[Optional(), Length(max=MAX_MESSAGE_LENGTH)])


class IntroAnswerForm(FlaskForm):
    """B accepts or declines."""

    decision = HiddenField(validators=[AnyOf(["accept", "decline"])])
