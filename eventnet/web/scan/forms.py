"""Forms of the badge page."""

from __future__ import annotations

import uuid
from typing import Any

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


class NoteForm(FlaskForm):
    """My note and quick tags about someone I met: "Edit" after saving."""

    note = TextAreaField(_l("What did you talk about? (optional)"),
                         validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    tags = _TagsField(_l("Tags"), choices=[], validate_choice=True)

    @classmethod
    def for_connection(cls, event: Event, saved: dict[str, Any]) -> NoteForm:
        """The form with the event's tags, filled with what was saved unless submitted."""
        form = cls()
        # A tag the organizer removed since stays choosable on the connection it is on.
        form.tags.choices = [(t, t) for t in dict.fromkeys([*event.scan_tags, *saved["tags"]])]
        if not form.is_submitted():
            form.note.data = saved["note"]
            form.tags.data = list(saved["tags"])
        return form


class ScanForm(NoteForm):
    """"We met — save": an optional note and quick tags."""

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
