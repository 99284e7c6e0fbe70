"""Fonts and text fitting for badges: any Unicode in, something printable that fits out."""

from __future__ import annotations

import os
import re
import unicodedata
from functools import cache

import reportlab  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from unidecode import unidecode

# Bitstream Vera ships inside reportlab itself, so it is always there. It covers Latin-1 plus
# most of Latin Extended-A (French é ç ô œ, German, Nordic, Czech, Turkish...); anything else is
# transliterated (unidecode) or dropped, never a crash and never a tofu box.
REGULAR = "EventnetSans"
BOLD = "EventnetSans-Bold"
ELLIPSIS = "\u2026"
_FONT_FILES = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf"}
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACES = re.compile(r"\s+")


@cache
def register_fonts() -> None:
    """Register the badge fonts with reportlab (once per process)."""
    font_dir = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, os.path.join(font_dir, filename)))


@cache
def _covered(font_name: str) -> frozenset[int]:
    register_fonts()
    # Code points the font maps to a real glyph (glyph 0 is .notdef, the tofu box).
    char_to_glyph: dict[int, int] = pdfmetrics.getFont(font_name).face.charToGlyph
    return frozenset(code for code, glyph in char_to_glyph.items() if glyph)


@cache
def _printable_char(char: str, font_name: str) -> str:
    category = unicodedata.category(char)
    if category.startswith("Z") or char.isspace():
        return " "
    if category in _DROPPED_CATEGORIES:
        return ""
    covered = _covered(font_name)
    if ord(char) in covered:
        return char
    return "".join(c for c in unidecode(char) if ord(c) in covered and c.isprintable())


def printable(text: str, font_name: str = REGULAR) -> str:
    """``text`` reduced to what ``font_name`` can draw: NFC, no control characters,
    uncovered characters transliterated or dropped, whitespace collapsed to single spaces."""
    normalized = unicodedata.normalize("NFC", text)
    drawable = "".join(_printable_char(char, font_name) for char in normalized)
    return _SPACES.sub(" ", drawable).strip()


def text_width(text: str, font_name: str, size: float) -> float:
    """Width in points of ``text`` set in ``font_name`` at ``size``."""
    register_fonts()
    width: float = pdfmetrics.stringWidth(text, font_name, size)
    return width


def fit_size(text: str, font_name: str, width: float, max_size: float, min_size: float) -> float:
    """The largest font size in [min_size, max_size] at which ``text`` fits ``width``
    (``min_size`` when even that is too wide: the caller then ellipsises)."""
    natural = text_width(text, font_name, 1.0)
    if natural <= 0:
        return max_size
    return max(min_size, min(max_size, width / natural))


def ellipsize(text: str, font_name: str, size: float, width: float) -> str:
    """``text`` cut at the end with an ellipsis so that it fits ``width`` at ``size``."""
    if text_width(text, font_name, size) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits, with the ellipsis, is in [low, high)
    while low < high - 1:
        middle = (low + high) // 2
        if text_width(text[:middle].rstrip() + ELLIPSIS, font_name, size) <= width:
            low = middle
        else:
            high = middle
    shortened = text[:low].rstrip()
    if text_width(shortened + ELLIPSIS, font_name, size) <= width:
        return shortened + ELLIPSIS
    return ""
