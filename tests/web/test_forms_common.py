"""The web layer's one way of showing a refused use case: next to the field it names, at the
top of the form, or as an error flash; anything else still fails the request."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages

from eventnet.services.errors import Conflict, Invalid
from eventnet.web.forms_common import ConfirmForm, form_status, service_errors
from eventnet.web.organizer.forms import CommunityForm


def _ran_after(form: object = None, error: Exception | None = None) -> bool:
    with service_errors(form):  # type: ignore[arg-type]
        if error is not None:
            raise error
        return False
    return True


def test_an_error_naming_a_field_is_shown_next_to_it(app):
    with app.test_request_context(method="POST", data={"name": "Paris Python"}):
        form = CommunityForm()
        assert form.validate_on_submit() and form_status(form) == 200
        assert _ran_after(form, Invalid("Taken.", field="name"))
        assert form.name.errors == ["Taken."] and form.form_errors == []
        assert form_status(form) == 422


def test_an_error_naming_no_field_is_shown_above_the_form(app):
    with app.test_request_context(method="POST", data={"name": "Paris Python"}):
        form = CommunityForm()
        form.validate_on_submit()
        assert _ran_after(form, Conflict("Closed.", field="no_such_field"))
        assert form.form_errors == ["Closed."] and form.name.errors == []
        assert form_status(form) == 422


def test_without_a_form_the_error_is_flashed(app):
    with app.test_request_context(method="POST"):
        assert ConfirmForm().validate_on_submit()
        assert _ran_after(error=Conflict("Already sent."))
        assert get_flashed_messages(with_categories=True) == [("error", "Already sent.")]


def test_no_error_leaves_the_block_as_written(app):
    with app.test_request_context(method="POST", data={"name": "Paris Python"}):
        form = CommunityForm()
        assert not _ran_after(form)
        assert form_status(form) == 200 and not get_flashed_messages()


def test_other_exceptions_are_not_swallowed(app):
    with app.test_request_context(method="POST"), pytest.raises(ValueError):
        _ran_after(ConfirmForm(), ValueError("a bug"))
