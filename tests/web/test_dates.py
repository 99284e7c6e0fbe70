"""Dates read in the locale's medium format ("Dec 2, 2026, 3:26 PM"), never "12/2/26"."""

from __future__ import annotations

import re

from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee
from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo


def test_dates_use_the_locale_s_medium_format(app, client, auth):
    create_demo(attendee_count=4)
    first = db.session.scalar(select(Attendee.id).order_by(Attendee.id))
    auth.organizer(DEMO_EMAIL, DEMO_PASSWORD)
    for lang, medium in (("en", r"[A-Z][a-z]{2} \d{1,2}, 20\d\d, \d{1,2}:\d\d\s?[AP]M"),
                         ("fr", r"\d{1,2} [a-zéû]{3,5}\.? 20\d\d, \d\d:\d\d")):
        client.post("/language", data={"lang": lang, "next": "/"})
        for path in ("/organizer/", f"/events/{DEMO_SLUG}/attendees",
                     f"/events/{DEMO_SLUG}/attendees/{first}"):
            page = client.get(path).get_data(as_text=True)
            assert not re.search(r"\d{1,2}/\d{1,2}/\d\d", page), (lang, path)  # not 12/2/26
            assert re.search(medium, page), (lang, path)
