"""Printable badge PDFs (reportlab): one badge per A6 page, one 4 x 3 in label per page, or six
4 x 3 in inserts per sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

from reportlab.lib.pagesizes import A4, A6, LETTER  # type: ignore[import-untyped]
from reportlab.lib.units import inch  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from eventnet.badges.qr import QUIET_ZONE, qr_matrix
from eventnet.badges.text import (
    BOLD,
    REGULAR,
    ellipsize,
    fit_size,
    printable,
    register_fonts,
    text_width,
)

LAYOUTS = ("a6", "label", "sheet-6")
PAPERS = ("a4", "letter")
MAX_INTERESTS = 4
SHEET_BADGE_SIZE = (4 * inch, 3 * inch)  # the common name-badge insert, landscape
SHEET_COLUMNS, SHEET_ROWS = 2, 3

_PAGE_SIZES: dict[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}
_CAP_HEIGHT = 0.73  # of Vera, in ems; used to centre a shrunk line in the band kept for it
_INK, _MUTED, _CUT = 0.0, 0.35, 0.7  # grey levels
_LEADING = 1.2  # line height, in ems
_WRAP_BELOW = 0.6  # a name that would shrink below this share of its size goes on two lines


@dataclass(frozen=True)
class BadgeCard:
    """What one badge shows; ``url`` is exactly what its QR code encodes."""

    name: str
    company: str
    title: str
    interests: tuple[str, ...]
    url: str
    event_name: str


@dataclass(frozen=True)
class _Style:
    font: str
    max_size: float
    min_size: float
    grey: float = _INK

    @property
    def band(self) -> float:
        return self.max_size * _LEADING


class _Column:
    """Lines of text flowing down from ``top``, each shrunk or ellipsised to fit ``width``."""

    def __init__(
        self, canvas: Canvas, x: float, top: float, width: float, align: Literal["left", "center"]
    ) -> None:
        self.canvas, self.x, self.cursor, self.width, self.align = canvas, x, top, width, align

    def line(
        self, text: str, style: _Style, space_after: float = 0.0, *, may_wrap: bool = False
    ) -> None:
        """Draw ``text`` (if anything printable is left of it) in the band kept for ``style``
        and move below it; with ``may_wrap``, two smaller lines when one would be tiny."""
        clean = printable(text, style.font)
        if not clean:
            return
        size = fit_size(clean, style.font, self.width, style.max_size, style.min_size)
        lines = [clean]
        if may_wrap and size < style.max_size * _WRAP_BELOW and " " in clean:
            halves = _split_in_two(clean, style.font)
            two_line_max = style.band / (2 * _LEADING) * 0.9  # breathing room below
            two_line_size = min(
                fit_size(half, style.font, self.width, two_line_max, style.min_size)
                for half in halves
            )
            if two_line_size > size:
                lines, size = list(halves), two_line_size
        self.canvas.setFont(style.font, size)
        self.canvas.setFillGray(style.grey)
        block = size * _LEADING * (len(lines) - 1)  # baseline of the first line to the last
        baseline = self.cursor - style.band / 2 + block / 2 - _CAP_HEIGHT * size / 2
        for text_line in lines:
            self._draw(ellipsize(text_line, style.font, size, self.width), baseline)
            baseline -= size * _LEADING
        self.cursor -= style.band + space_after

    def _draw(self, text: str, baseline: float) -> None:
        if self.align == "center":
            self.canvas.drawCentredString(self.x + self.width / 2, baseline, text)
        else:
            self.canvas.drawString(self.x, baseline, text)

    def space(self, points: float) -> None:
        """Leave ``points`` of vertical space."""
        self.cursor -= points


def _split_in_two(text: str, font: str) -> tuple[str, str]:
    """``text`` split at the space that makes its longer half the shortest."""
    words = text.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    return min(splits, key=lambda pair: max(text_width(half, font, 1.0) for half in pair))


def _interests(card: BadgeCard) -> list[str]:
    shown = (interest for interest in card.interests if printable(interest))
    return [interest for _, interest in zip(range(MAX_INTERESTS), shown, strict=False)]


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code for ``url`` as vector runs in a ``size`` square (quiet zone included)."""
    matrix = qr_matrix(url)
    count = len(matrix)
    module = size / (count + 2 * QUIET_ZONE)
    left, top = x + QUIET_ZONE * module, y + size - QUIET_ZONE * module
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        bottom = top - (row_index + 1) * module
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            path.rect(left + start * module, bottom, (column - start) * module, module)
    canvas.setFillGray(_INK)
    # One path, one fill: abutting modules get no anti-aliasing seams between them.
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_a6(canvas: Canvas, card: BadgeCard) -> None:
    """One portrait A6 badge: text centred at the top, a large QR code below."""
    width, height = A6
    padding, qr_size = 20.0, 200.0
    column = _Column(canvas, padding, height - padding, width - 2 * padding, "center")
    column.line(card.event_name, _Style(REGULAR, 10, 7, _MUTED), space_after=10)
    column.line(card.name, _Style(BOLD, 34, 12), space_after=4, may_wrap=True)
    column.line(card.company, _Style(BOLD, 15, 10))
    column.line(card.title, _Style(REGULAR, 12, 9), space_after=6)
    for interest in _interests(card):
        column.line(interest, _Style(REGULAR, 10, 8, _MUTED))
    _draw_qr(canvas, card.url, (width - qr_size) / 2, 14, qr_size)


def _draw_insert(canvas: Canvas, card: BadgeCard, x: float, y: float, *,
                 cut_line: bool = True) -> None:
    """One landscape 4 x 3 in insert with its lower-left corner at (x, y); ``cut_line``
    draws its outline (for cutting it out of a sheet; a label printer needs none)."""
    width, height = SHEET_BADGE_SIZE
    padding, qr_size, qr_margin = 12.0, 150.0, 6.0
    if cut_line:
        canvas.setStrokeGray(_CUT)
        canvas.setLineWidth(0.4)
        canvas.rect(x, y, width, height, stroke=1, fill=0)
    header = _Column(canvas, x + padding, y + height - padding, width - 2 * padding, "left")
    header.line(card.event_name, _Style(REGULAR, 8, 6, _MUTED), space_after=2)
    header.line(card.name, _Style(BOLD, 26, 9), may_wrap=True)
    qr_x = x + width - qr_margin - qr_size
    # The QR's own quiet zone separates it from this column.
    details = _Column(canvas, x + padding, header.cursor, qr_x - x - padding, "left")
    details.line(card.company, _Style(BOLD, 12, 8))
    details.line(card.title, _Style(REGULAR, 10, 7.5), space_after=4)
    for interest in _interests(card):
        details.line(interest, _Style(REGULAR, 8.5, 7, _MUTED))
    _draw_qr(canvas, card.url, qr_x, y + qr_margin, qr_size)


def _draw_cut_marks(canvas: Canvas, left: float, bottom: float, page: tuple[float, float]) -> None:
    """Short ticks in the page margins, in line with every cut of the badge grid."""
    width, height = SHEET_BADGE_SIZE
    right, top = left + SHEET_COLUMNS * width, bottom + SHEET_ROWS * height
    gap, length = 3.0, 12.0
    canvas.setStrokeGray(_CUT)
    canvas.setLineWidth(0.4)
    for index in range(SHEET_COLUMNS + 1):
        cut_x = left + index * width
        tick = min(length, bottom - gap - 2)
        if tick > 0:
            canvas.line(cut_x, bottom - gap, cut_x, bottom - gap - tick)
            canvas.line(cut_x, top + gap, cut_x, top + gap + tick)
    for index in range(SHEET_ROWS + 1):
        cut_y = bottom + index * height
        tick = min(length, left - gap - 2, page[0] - right - gap - 2)
        if tick > 0:
            canvas.line(left - gap, cut_y, left - gap - tick, cut_y)
            canvas.line(right + gap, cut_y, right + gap + tick, cut_y)


def _draw_sheets(canvas: Canvas, cards: Sequence[BadgeCard], page: tuple[float, float]) -> None:
    """Six inserts per page, two across and three down, centred; filled row by row."""
    width, height = SHEET_BADGE_SIZE
    per_page = SHEET_COLUMNS * SHEET_ROWS
    left = (page[0] - SHEET_COLUMNS * width) / 2
    bottom = (page[1] - SHEET_ROWS * height) / 2
    for first in range(0, len(cards), per_page):
        _draw_cut_marks(canvas, left, bottom, page)
        for slot, card in enumerate(cards[first : first + per_page]):
            row, column = divmod(slot, SHEET_COLUMNS)
            slot_x = left + column * width
            slot_y = bottom + (SHEET_ROWS - 1 - row) * height
            _draw_insert(canvas, card, slot_x, slot_y)
        canvas.showPage()


def render_badges_pdf(cards: Sequence[BadgeCard], layout: str = "a6", paper: str = "a4") -> bytes:
    """Render ``cards`` as a printable PDF in ``layout`` (see LAYOUTS: "a6" and "label" put one
    badge on each page of their size) on ``paper`` (see PAPERS; only used by "sheet-6").
    Raises ValueError for an unknown layout or paper, or no cards."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown badge layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    if paper not in PAPERS:
        raise ValueError(f"unknown paper size {paper!r}; choose one of {', '.join(PAPERS)}")
    if not cards:
        raise ValueError("no badges to render")
    register_fonts()
    page = {"a6": A6, "label": SHEET_BADGE_SIZE}.get(layout) or _PAGE_SIZES[paper]
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=page, pageCompression=1)
    event_names = {card.event_name for card in cards}
    title = f"Badges: {cards[0].event_name}" if len(event_names) == 1 else "Badges"
    canvas.setTitle(title)
    canvas.setCreator("eventnet")
    if layout == "a6":
        for card in cards:
            _draw_a6(canvas, card)
            canvas.showPage()
    elif layout == "label":
        for card in cards:
            _draw_insert(canvas, card, 0, 0, cut_line=False)
            canvas.showPage()
    else:
        _draw_sheets(canvas, cards, page)
    canvas.save()
    return buffer.getvalue()
