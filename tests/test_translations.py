"""Every user-facing string has a French translation with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_french_catalogue_is_complete_and_consistent(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract",
                    "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
                    "-o", str(pot), "."],
                   check=True, cwd=ROOT, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    assert len(wanted) > 100  # the extraction really found the interface's strings
    with (ROOT / "eventnet/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id: m for m in catalog if m.id}
    missing = sorted(str(i) for i in wanted if i not in translated
                     or not translated[i].string or translated[i].fuzzy)
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]}"
    for message in translated.values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, msgstr in zip(ids, strings, strict=False):
            assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid


def test_compiled_catalogue_matches_the_po_file():
    from babel.messages.mofile import read_mo

    po_path = ROOT / "eventnet/translations/fr/LC_MESSAGES/messages.po"
    def key(value):  # plural entries come back as lists from read_mo
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with po_path.open("rb") as fh:
        po = {key(m.id): key(m.string) for m in read_po(fh)
              if m.id and m.string and not m.fuzzy}
    with po_path.with_suffix(".mo").open("rb") as fh:
        mo = {key(m.id): key(m.string) for m in read_mo(fh) if m.id}
    assert mo == po, "run `make translations` and commit the compiled .mo"
