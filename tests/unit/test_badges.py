"""Badges: every QR we print or show scans back to exactly its URL, and no name breaks a badge."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import FrozenInstanceError, replace

import pypdf
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from eventnet.badges import LAYOUTS, PAPERS, BadgeCard, qr_png, qr_svg, render_badges_pdf
from eventnet.badges.pdf import SHEET_BADGE_SIZE, SHEET_COLUMNS, SHEET_ROWS
from eventnet.badges.text import BOLD, printable

URL = "https://events.example.org/b/Zx8f7Kq2mN4pR6sT9vW1yA3cE5gH7jL9"
LONG_NAME = "Jean-Baptiste Emmanuel Zorg de la Montagne-Sainte-Geneviève"


def make_card(index: int = 0, **changes: object) -> BadgeCard:
    card = BadgeCard(
        name=f"Françoise Œuvre-Côté {index}",
        company="Société Générale",
        title="Ingénieure principale",
        interests=("Données ouvertes", "Vélo", "Rust", "Café"),
        url=f"{URL}{index:03d}",
        event_name="Rencontres Python 2025",
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def decode_all(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def pdf_pages(pdf: bytes) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(pdf)


def page_image(pdf: bytes, page: int = 0, scale: float = 3.0) -> Image.Image:
    image: Image.Image = pdf_pages(pdf)[page].render(scale=scale).to_pil()
    return image


def char_boxes(pdf: bytes, page: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every drawn character on ``page`` with its box (left, bottom, right, top) in points."""
    text_page = pdf_pages(pdf)[page].get_textpage()
    boxes = []
    for index in range(text_page.count_chars()):
        char = text_page.get_text_range(index, 1)
        if char.strip():
            boxes.append((char, text_page.get_charbox(index)))
    return boxes


def sheet_slots(page_width: float, page_height: float) -> list[tuple[float, float, float, float]]:
    """The (left, bottom, right, top) of each insert on a sheet, in reading order."""
    width, height = SHEET_BADGE_SIZE
    left = (page_width - SHEET_COLUMNS * width) / 2
    bottom = (page_height - SHEET_ROWS * height) / 2
    slots = []
    for row in range(SHEET_ROWS):
        for column in range(SHEET_COLUMNS):
            x, y = left + column * width, bottom + (SHEET_ROWS - 1 - row) * height
            slots.append((x, y, x + width, y + height))
    return slots


# --- QR codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [URL, "https://example.org/b/x?next=/scan&lang=fr#top", "http://127.0.0.1:5000/b/é"],
)
def test_png_decodes_to_exactly_the_url(url: str) -> None:
    image = Image.open(io.BytesIO(qr_png(url)))
    assert image.format == "PNG"
    assert decode_all(image) == [url]


def test_png_box_size_sets_pixels_per_module_with_a_quiet_zone() -> None:
    small = Image.open(io.BytesIO(qr_png(URL, box_size=4)))
    large = Image.open(io.BytesIO(qr_png(URL, box_size=12)))
    assert large.size[0] == small.size[0] * 3
    # A 4-module quiet zone: the first 16 pixel columns of the small one are white.
    grey = small.convert("L")
    assert all(grey.getpixel((x, y)) == 255 for x in range(16) for y in range(small.size[1]))
    assert decode_all(large) == [URL]


def test_png_rejects_a_non_positive_box_size() -> None:
    with pytest.raises(ValueError, match="box_size"):
        qr_png(URL, box_size=0)


def svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The viewBox size and the dark unit squares of a qrcode SvgPathImage document."""
    root = ET.fromstring(svg.encode())
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{namespace}svg"
    _, _, width, height = (int(value) for value in root.attrib["viewBox"].split())
    assert width == height
    (path,) = root.iter(f"{namespace}path")
    square = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\1z")
    data = path.attrib["d"]
    dark = set()
    for match in square.finditer(data):
        x, y, right, bottom = (int(group) for group in match.groups())
        assert (right - x, bottom - y) == (1, 1)
        dark.add((x, y))
    assert square.sub("", data).strip() == "", "the path holds only unit squares"
    return width, dark


def test_svg_is_a_well_formed_scalable_document_of_the_same_symbol() -> None:
    svg = qr_svg(URL)
    assert svg.startswith("<?xml")
    size, dark = svg_modules(svg)
    # Rasterise the squares ourselves and scan the result: the SVG is the right QR code.
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in dark:
        draw.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=0)
    assert decode_all(image) == [URL]
    # Quiet zone: nothing dark in the outer four modules.
    assert all(4 <= x < size - 4 and 4 <= y < size - 4 for x, y in dark)
    # And the same module count as the PNG.
    png = Image.open(io.BytesIO(qr_png(URL, box_size=1)))
    assert png.size == (size, size)


# --- PDF ------------------------------------------------------------------------------------


def test_a6_has_one_page_per_badge_with_its_text_and_title() -> None:
    cards = [make_card(index) for index in range(3)]
    reader = pypdf.PdfReader(io.BytesIO(render_badges_pdf(cards, "a6")))
    assert len(reader.pages) == 3
    assert reader.metadata is not None
    assert reader.metadata.title == "Badges: Rencontres Python 2025"
    for index, page in enumerate(reader.pages):
        assert [round(float(side)) for side in page.mediabox[2:]] == [298, 420]  # A6 in points
        text = page.extract_text()
        for expected in (
            f"Françoise Œuvre-Côté {index}",
            "Société Générale",
            "Ingénieure principale",
            "Rencontres Python 2025",
            "Données ouvertes",
        ):
            assert expected in text


def test_a6_qr_scans_to_its_own_url_and_is_vector() -> None:
    cards = [make_card(index) for index in range(2)]
    pdf = render_badges_pdf(cards, "a6")
    for index, card in enumerate(cards):
        assert decode_all(page_image(pdf, index, scale=2)) == [card.url]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert all(not page.images for page in reader.pages)


def test_a_label_is_one_4_by_3_inch_page_per_badge_that_scans_to_its_url() -> None:
    cards = [make_card(index) for index in range(2)]
    pdf = render_badges_pdf(cards, "label")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert [[round(float(side)) for side in page.mediabox[2:]] for page in reader.pages] == [
        [288, 216], [288, 216]]
    for index, card in enumerate(cards):
        assert card.name in reader.pages[index].extract_text()
        assert decode_all(page_image(pdf, index)) == [card.url]


@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_every_qr_on_a_sheet_scans_to_exactly_its_url(paper: str, size: tuple[int, int]) -> None:
    cards = [make_card(index) for index in range(8)]
    pdf = render_badges_pdf(cards, "sheet-6", paper)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert tuple(round(float(side)) for side in reader.pages[0].mediabox[2:]) == size
    first = decode_all(page_image(pdf, 0))
    assert sorted(first) == sorted(card.url for card in cards[:6])
    assert sorted(decode_all(page_image(pdf, 1))) == sorted(card.url for card in cards[6:])
    text = reader.pages[0].extract_text()
    assert all(card.name in text for card in cards[:6])
    assert text.count("Rencontres Python 2025") == 6


@pytest.mark.parametrize("layout", LAYOUTS)
def test_long_names_shrink_or_wrap_and_stay_inside_the_badge(layout: str) -> None:
    cards = [
        make_card(0, name=LONG_NAME),
        make_card(1, name="W" * 90, company="X" * 200, title=LONG_NAME * 3),
    ]
    pdf = render_badges_pdf(cards, layout)
    document = pdf_pages(pdf)
    width, height = document[0].get_size()
    single = layout in ("a6", "label")
    badges = [(0.0, 0.0, width, height)] if single else sheet_slots(width, height)
    for page in range(len(document)):
        for char, (left, bottom, right, top) in char_boxes(pdf, page):
            assert any(
                x0 <= left and right <= x1 and y0 <= bottom and top <= y1
                for x0, y0, x1, y1 in badges
            ), f"{char!r} at {(left, bottom, right, top)} crosses a badge edge"
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    # The long name with spaces goes on two lines, whole; the unbreakable ones are cut.
    assert " ".join(text.split()).count("Zorg de la Montagne-Sainte-Geneviève") == 1
    assert re.search(r"WWWWWWWWWW+…", text)
    assert re.search(r"XXXXXX+…", text)


def test_at_most_four_interests_are_shown() -> None:
    card = make_card(interests=("one", "two", "", "three", "four", "five"))
    text = pypdf.PdfReader(io.BytesIO(render_badges_pdf([card]))).pages[0].extract_text()
    assert all(word in text for word in ("one", "two", "three", "four"))
    assert "five" not in text


def test_characters_outside_the_font_degrade_gracefully() -> None:
    card = make_card(name="王小明 😀", company="Łódź Wąż", title="Ωmega\x00\u200b tab\there")
    pdf = render_badges_pdf([card], "sheet-6")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Wang Xiao Ming" in text  # transliterated, not tofu
    assert "Łódz Waz" in text  # ź is not in Vera: its base letter
    assert "Ωmega tab here" in text
    assert decode_all(page_image(pdf)) == [card.url]


def test_printable_keeps_french_and_drops_what_it_cannot_draw() -> None:
    assert printable("Franc\u0327oise  Œ ô\n", BOLD) == "Françoise Œ ô"  # NFC, spaces collapsed
    assert printable("😀🎉") == ""


text_values = st.text(max_size=120)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=text_values,
    company=text_values,
    title=text_values,
    interests=st.lists(text_values, max_size=6).map(tuple),
    url=st.text(min_size=1, max_size=150),
    event_name=text_values,
    layout=st.sampled_from(LAYOUTS),
    paper=st.sampled_from(PAPERS),
)
def test_any_text_renders_without_crashing(
    name: str,
    company: str,
    title: str,
    interests: tuple[str, ...],
    url: str,
    event_name: str,
    layout: str,
    paper: str,
) -> None:
    card = BadgeCard(name, company, title, interests, url, event_name)
    pdf = render_badges_pdf([card], layout, paper)
    assert pdf.startswith(b"%PDF-")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1


# --- Errors and values ----------------------------------------------------------------------


def test_unknown_layout_or_paper_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown badge layout 'a5'.*a6, label, sheet-6"):
        render_badges_pdf([make_card()], layout="a5")
    with pytest.raises(ValueError, match=r"unknown paper size 'legal'.*a4, letter"):
        render_badges_pdf([make_card()], layout="sheet-6", paper="legal")


def test_no_cards_is_an_error_not_an_empty_pdf() -> None:
    with pytest.raises(ValueError, match="no badges to render"):
        render_badges_pdf([])


def test_badge_cards_are_frozen() -> None:
    card = make_card()
    with pytest.raises(FrozenInstanceError):
        card.name = "Someone else"  # type: ignore[misc]
