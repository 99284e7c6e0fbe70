"""Time badge PDFs for 1,000 attendees in every layout.

Run: .venv/bin/python benchmarks/bench_badges.py [--count 1000]
"""

from __future__ import annotations

import argparse
import platform
import secrets
import time

from eventnet.badges import BadgeCard, qr_png, qr_svg, render_badges_pdf

FIRST = ("Françoise", "Jean-Baptiste", "Chloé", "Søren", "Łukasz", "Ana María", "Wei", "Zoë")
LAST = ("Côté", "de la Montagne-Sainte-Geneviève", "Nguyễn", "Øster", "Wąż", "O'Brien", "Müller")
COMPANIES = ("Société Générale des Œuvres Numériques", "ACME", "Université de Montréal")
INTERESTS = ("Rust", "Données ouvertes", "Vélo", "Machine learning", "Accessibilité", "Cafés")


def make_cards(count: int) -> list[BadgeCard]:
    """``count`` realistic cards: accented names, some long, a 32-byte random token URL each."""
    return [
        BadgeCard(
            name=f"{FIRST[index % len(FIRST)]} {LAST[index % len(LAST)]}",
            company=COMPANIES[index % len(COMPANIES)],
            title="Ingénieure principale" if index % 2 else "Developer Advocate",
            interests=tuple(INTERESTS[(index + step) % len(INTERESTS)] for step in range(4)),
            url=f"https://events.example.org/b/{secrets.token_urlsafe(24)}",
            event_name="Rencontres Python 2025",
        )
        for index in range(count)
    ]


def main() -> None:
    """Print seconds, badges per second and PDF size for each layout and paper."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    count = parser.parse_args().count
    cards = make_cards(count)
    print(f"{count} badges, Python {platform.python_version()} on {platform.machine()}")
    for layout, paper in (("a6", "a4"), ("sheet-6", "a4"), ("sheet-6", "letter")):
        started = time.perf_counter()
        pdf = render_badges_pdf(cards, layout, paper)
        seconds = time.perf_counter() - started
        print(
            f"{layout:8} {paper:6} {seconds:6.2f} s  {count / seconds:7.0f} badges/s  "
            f"{len(pdf) / 1_000_000:6.2f} MB ({len(pdf) / count / 1000:.1f} kB/badge)"
        )
    for label, render in (("qr_png", qr_png), ("qr_svg", qr_svg)):
        started = time.perf_counter()
        for card in cards[:200]:
            render(card.url)
        per_code = (time.perf_counter() - started) / 200 * 1000
        print(f"{label:15} {per_code:6.1f} ms per code")


if __name__ == "__main__":
    main()
