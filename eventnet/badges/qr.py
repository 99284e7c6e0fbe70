"""QR codes for badge URLs: SVG for screens, PNG for mail, a module matrix for PDFs."""

from __future__ import annotations

from io import BytesIO

import qrcode  # type: ignore[import-untyped]
import qrcode.constants  # type: ignore[import-untyped]
from qrcode.image.pil import PilImage  # type: ignore[import-untyped]
from qrcode.image.svg import SvgPathFillImage  # type: ignore[import-untyped]

# M rather than Q: badge URLs are short, so M keeps the symbol at version 3-4 and each module
# large, which matters more at arm's length in dim venue light than surviving heavy damage.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires


def _qr_code(url: str, *, border: int, box_size: int = 10) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=border, box_size=box_size)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR symbol for ``url`` as rows of booleans (True is dark), without the quiet zone."""
    matrix: list[list[bool]] = _qr_code(url, border=0).get_matrix()
    return matrix


def qr_svg(url: str) -> str:
    """A standalone, scalable SVG document (white background, quiet zone) encoding ``url``."""
    code = _qr_code(url, border=QUIET_ZONE)
    image = code.make_image(image_factory=SvgPathFillImage)
    svg: str = image.to_string(encoding="unicode")
    # Modules abut; crispEdges stops renderers drawing hairline seams between them.
    svg = svg.replace("<svg ", '<svg shape-rendering="crispEdges" ', 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"


def qr_png(url: str, box_size: int = 10) -> bytes:
    """A PNG (``box_size`` pixels per module, quiet zone included) encoding ``url``.

    Raises ValueError if ``box_size`` is not positive.
    """
    if box_size < 1:
        raise ValueError(f"box_size must be a positive number of pixels, got {box_size}")
    code = _qr_code(url, border=QUIET_ZONE, box_size=box_size)
    buffer = BytesIO()
    code.make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()
