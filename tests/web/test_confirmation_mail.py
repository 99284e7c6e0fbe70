"""The confirmation email: the way to the scanner, the badge's QR code and the event's .ics."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee


def _register(client, event, **fields):
    data = {"name": "Ada Lovelace", "email": "ada@example.org", "language": "en",
            "consent_followup": "y"}
    data.update(fields)
    assert client.post(f"/e/{event.slug}", data=data).status_code == 302


def _unfold(ics: bytes) -> list[str]:
    return ics.decode().replace("\r\n ", "").split("\r\n")


def test_the_confirmation_carries_the_scanner_button_the_qr_code_and_the_ics(client,
                                                                             make_event, smtp):
    import zxingcpp
    from PIL import Image

    event = make_event(name="Rust, Wasm; Paris \\ Lyon", venue="Station F, Paris",
                       description="Talks\nand drinks " + "très long " * 20,
                       starts_at=datetime(2026, 12, 2, 18, 30, tzinfo=UTC),
                       ends_at=datetime(2026, 12, 2, 21, 0, tzinfo=UTC), timezone="Europe/Paris")
    _register(client, event)
    attendee = db.session.scalar(select(Attendee))
    [message] = smtp.to("ada@example.org")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    scan_url = f"http://eventnet.test/e/{event.slug}/scan"
    assert re.search(rf'<a href="{re.escape(scan_url)}"[^>]*>Scan a badge</a>', html)
    assert scan_url in text
    # the badge's QR code, shown in the HTML from an inline part
    cid = re.search(r'<img src="cid:([^"]+)"', html).group(1)
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{cid}>"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert [r.text for r in decoded] == [f"http://eventnet.test/b/{attendee.badge.token}"]
    # the event as an iCalendar file
    [ics] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert ics.get_filename().endswith(".ics")
    raw = ics.get_payload(decode=True)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    lines = _unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART:20261202T183000Z" in lines and "DTEND:20261202T210000Z" in lines
    assert r"SUMMARY:Rust\, Wasm\; Paris \\ Lyon" in lines
    assert r"LOCATION:Station F\, Paris" in lines
    assert any(line.startswith(r"DESCRIPTION:Talks\nand drinks très long") for line in lines)
    assert any(re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", line) for line in lines)
    assert any(line.startswith("UID:") and len(line) > 10 for line in lines)


def test_an_event_without_a_date_sends_no_ics_and_the_attendee_page_has_the_scanner(
        client, auth, make_event, smtp):
    event = make_event()
    _register(client, event)
    [message] = smtp.to("ada@example.org")
    types = [p.get_content_type() for p in message.walk()]
    assert "image/png" in types and "text/calendar" not in types
    auth.attendee(db.session.scalar(select(Attendee)))
    home = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert re.search(rf'<a class="button big[^"]*" href="/e/{event.slug}/scan">Scan a badge</a>',
                     home)


def test_the_event_page_offers_the_ics(client, make_event):
    event = make_event(starts_at=datetime(2026, 12, 2, 18, 30, tzinfo=UTC))
    response = client.get(f"/e/{event.slug}/event.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "DTSTART:20261202T183000Z" in _unfold(response.data)
    assert f'href="/e/{event.slug}/event.ics"' in client.get(f"/e/{event.slug}").get_data(
        as_text=True)
    assert client.get(f"/e/{make_event().slug}/event.ics").status_code == 404


def test_the_plain_text_confirmation_keeps_each_sentence_on_its_line(client, make_event, smtp):
    event = make_event(starts_at=datetime(2026, 12, 2, 18, 30, tzinfo=UTC))
    _register(client, event)
    [message] = smtp.to("ada@example.org")
    lines = message.get_body(("plain",)).get_content().splitlines()
    assert ("Your badge's QR code is attached (badge.png): show it on your phone or print it."
            in lines)
    assert "The event is attached as a calendar file (.ics)." in lines
