"""QR codes and printable badges from plain values.

Pure: no Flask, no database, no request or session; imports nothing from eventnet outside
this package.
"""

from __future__ import annotations

from eventnet.badges.pdf import LAYOUTS, MAX_INTERESTS, PAPERS, BadgeCard, render_badges_pdf
from eventnet.badges.qr import qr_png, qr_svg

__all__ = [
    "LAYOUTS",
    "MAX_INTERESTS",
    "PAPERS",
    "BadgeCard",
    "qr_png",
    "qr_svg",
    "render_badges_pdf",
]
