"""Text eventnet can store and send: valid Unicode (encodable as UTF-8), no NUL character;
and text as eventnet stores it: no bidi or control character (``clean_text``, ``clean_name``).

The edges refuse anything else before a view or a command sees it: the web layer for query
strings, forms and JSON bodies (``eventnet.web.edge``), the command line for its arguments
(``eventnet.cli.ServiceCommand``); CSV imports are decoded as strict UTF-8. A lone surrogate
(JSON's ``"\\ud800"``, or a command-line argument that is not UTF-8) used to be stored, and
then every page, export and email that showed it failed to encode it: one attendee's tag
stopped a whole event's follow-ups.
"""

from __future__ import annotations

from flask_babel import gettext as _

from eventnet.services.errors import EventnetError

NUL_CHARACTER = "nul_character"
INVALID_TEXT = "invalid_text"


def is_encodable(text: str) -> bool:
    """Whether ``text`` can be encoded as UTF-8 (it holds no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def nul_character(field: str | None = None) -> EventnetError:
    """The error for text with a NUL character (0x00). No person types one, and PostgreSQL
    cannot store one in a text column: unchecked, it failed there with a 500."""
    return EventnetError(_("The request contains a NUL character (0x00), which text cannot "
                           "hold."), code=NUL_CHARACTER, field=field)


def invalid_text(field: str | None = None) -> EventnetError:
    """The error for text that is not valid Unicode (a lone surrogate such as ``\\ud800``)."""
    return EventnetError(_("The request contains text that is not valid Unicode (such as a "
                           "lone surrogate, \\ud800), which cannot be stored or sent."),
                         code=INVALID_TEXT, field=field)


def check_text(text: str, field: str | None = None) -> None:
    """Refuse text that cannot be stored and sent. Raises EventnetError (400) with the code
    ``nul_character`` or ``invalid_text``."""
    if "\x00" in text:
        raise nul_character(field)
    if not is_encodable(text):
        raise invalid_text(field)


#: Unicode's explicit directional formatting characters: the embeddings and overrides
#: (U+202A–U+202E), the isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
#: What any text an attendee, a scanner or an organizer writes loses: the bidi controls and
#: the control characters (C0, DEL, C1) that are not white space. White space stays, line
#: breaks included; names then put it on one line.
_DROPPED = dict.fromkeys(
    [ord(c) for c in BIDI_CONTROLS]
    + [c for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace()])


def clean_text(text: str) -> str:
    """Free text as eventnet stores it (a bio, a note, a tag, an answer, a message): without
    bidi controls and without control characters other than white space; lines are kept.

    A right-to-left override (U+202E) shown beside other text reverses how it reads
    (``Bob\\u202egnp.exe`` shows as ``Bobexe.png``), on a page, in a spreadsheet, in a mail:
    Trojan Source's spoofing, in an attendee's bio or a scanner's note. The characters are
    removed rather than the text refused, as in names: nobody types them, they arrive with
    pasted text. Other invisible characters stay: the zero-width joiner builds emoji and
    Indic scripts, the zero-width space separates words in Thai or Khmer.
    """
    if text.isprintable():  # the usual text is, and costs nothing more
        return text
    return text.translate(_DROPPED)


def clean_name(text: str) -> str:
    """A name as eventnet stores it: ``clean_text``, on one line (white space, line breaks
    included, collapsed to single spaces).

    Names go into pages, CSV files, badges and mail headers. A line break in one would
    start a header of its own (an organizer's "sender name" once chose the envelope
    sender). One-line fields that are not names (a tag, an interest, a phone number) are
    stored so too.
    """
    return " ".join(clean_text(text).split())
