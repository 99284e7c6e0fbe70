"""The wire format written by eventnet.mail.mime reads back with Python's email parser."""

from __future__ import annotations

from email import message_from_bytes, policy

from eventnet.mail.mime import encode_content, message_bytes


def _parse(content: bytes, **headers: str) -> object:
    fields = {"subject": "Hello", "from_address": "Org <o@example.org>",
              "to_address": "ada@example.org", "reply_to": "", "message_id": "<x@eventnet>"}
    fields.update(headers)
    data = message_bytes(headers=[("List-Unsubscribe", "<https://e.example/u/t>")],
                         content=content, **fields)
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    # Stored the way a mailbox on this machine keeps it: the parser keeps line ends as is.
    return message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)


def _encodings(message: object) -> list[str]:
    return [str(part["Content-Transfer-Encoding"]) for part in message.walk()  # type: ignore[attr-defined]
            if not part.is_multipart()]


def test_ascii_parts_go_as_they_are() -> None:
    message = _parse(encode_content("Plain body\n", "<p>HTML body</p>"))
    assert _encodings(message) == ["7bit", "7bit"]
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content() == "Plain body\n"
    assert message.get_body(("html",)).get_content() == "<p>HTML body</p>"
    assert message["List-Unsubscribe"] == "<https://e.example/u/t>"


def test_utf8_and_long_lines_are_quoted_printable() -> None:
    text, html = "Zoé a écrit : « bonjour ».\n.a line with a dot\n", "<p>Zoé ✓</p>"
    content = encode_content(text, html)
    assert content.isascii()
    message = _parse(content)
    assert _encodings(message) == ["quoted-printable"] * 2
    assert message.get_body(("plain",)).get_content() == text
    assert message.get_body(("html",)).get_content() == html
    note = "Long note " * 200 + "\r\nsecond line\rthird\n"
    message = _parse(encode_content(note))
    assert _encodings(message) == ["quoted-printable"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == note.replace("\r\n", "\n").replace("\r", "\n")


def test_headers_are_encoded_and_cannot_be_injected() -> None:
    content = encode_content("Body\n")
    message = _parse(content, subject="Votre récapitulatif ✓ " * 6 + "\r\nBcc: evil@example.org",
                     from_address='"Zoé & Co, Paris" <o@example.org>',
                     to_address="bob@example.org", reply_to="Org <reply@example.org>")
    assert message["Bcc"] is None
    assert str(message["Subject"]).startswith("Votre récapitulatif ✓ Votre")
    assert str(message["Subject"]).endswith("Bcc: evil@example.org")
    assert message["From"].addresses[0].display_name == "Zoé & Co, Paris"
    assert message["From"].addresses[0].addr_spec == "o@example.org"
    assert message["Reply-To"].addresses[0].addr_spec == "reply@example.org"
    assert message["To"].addresses[0].addr_spec == "bob@example.org"
