"""Forms tell everyone which field is wrong and which are required; every page has its h1."""

from __future__ import annotations

import re

from eventnet.services.scans import scan_badge


def test_a_wrong_field_is_marked_and_described(client, make_event):
    event = make_event()
    html = client.post(f"/e/{event.slug}", data={"name": "", "email": "nope"}).get_data(
        as_text=True)
    for name in ("name", "email"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag
        described = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
        assert f"{name}-error" in described
        assert re.search(rf'<div id="{name}-error"><p class="error" role="alert">.+?</p>', html)
    company = re.search(r'<input[^>]*name="company"[^>]*>', html).group(0)
    assert "aria-invalid" not in company


def test_required_fields_are_marked(client, make_event):
    html = client.get(f"/e/{make_event().slug}").get_data(as_text=True)
    assert re.search(r'<label for="name">Name <span class="required" aria-hidden="true">\*'
                     r'</span></label>\s*<input[^>]*required', html)
    assert re.search(r'<label for="company">Company or organisation</label>', html)
    hint = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'aria-describedby="email-hint"' in hint and 'id="email-hint"' in html


def test_the_badge_page_has_an_h1_and_the_dashboard_s_selects_a_label(
        client, auth, make_event, make_attendee, make_organizer):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    auth.attendee(ann)
    assert re.search(r"<h1>Bob</h1>", client.get(f"/b/{bob.badge.token}").get_data(as_text=True))
    scan_badge(ann.id, event.id, bob.badge.token)
    assert "<h1>Bob</h1>" in client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    auth.organizer(organizer.email)
    page = client.get(f"/events/{event.slug}/").get_data(as_text=True)
    for select in re.findall(r'<select[^>]*id="([^"]+)"', page):
        assert f'<label for="{select}">' in page, select
