"""Forms of the attendee's pages."""

from __future__ import annotations

from eventnet.web.forms_common import ProfileForm


class EditProfileForm(ProfileForm):
    """The profile form without the email, which only a new registration changes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.email
