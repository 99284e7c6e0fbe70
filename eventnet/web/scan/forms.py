"""Forms of the badge page."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Email, Length, Optional

from eventnet.models import Event
from eventnet.services.scans import MAX_CLIENT_ID_LENGTH, MAX_NOTE_LENGTH


class _TagsField(SelectMultipleField):
    """The event's quick tags as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ScanForm(FlaskForm):
    """"We met — save": an optional note and quick tags."""

    note = TextAreaField(_l("What did you talk about? (optional)"),
                         validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    tags = _TagsField(_l("Tags"), choices=[], validate_choice=True)
    #: set when the page is rendered, so a double tap or a resubmission is recorded once
    client_id = HiddenField(validators=[DataRequired(), Length(max=MAX_CLIENT_ID_LENGTH)])

    @classmethod
    def for_event(cls, event: Event) -> ScanForm:
        """The form with the event's tags and, on a fresh page, a new client id."""
        form = cls()
        form.tags.choices = [(t, t) for t in event.scan_tags]
        if not form.client_id.data:
            form.client_id.data = "badge-page:" + uuid.uuid4().hex
        return form


class IdentifyForm(ScanForm):
    """Not signed in yet: who are you? (we mail a link; the scan is saved once you click it)."""

    email = StringField(_l("Your email (the one you registered with)"),
                        validators=[DataRequired(), Email(), Length(max=254)])
