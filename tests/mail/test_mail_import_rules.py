"""Mail is delivery only, and only services use it: the rules of its imports, read from the
source (``ast``: lazy imports inside functions count too).

- nothing under ``eventnet/web`` or ``eventnet/cli`` imports ``eventnet.mail.worker``: pages
  and commands call services (``services.outbox``, ``services.followup_sending``);
- nothing under ``eventnet/mail`` imports ``eventnet.services``, ``eventnet.web`` or
  ``eventnet.cli``: the use cases' Celery tasks live in ``services`` (``services/tasks.py``);
- inside ``eventnet/mail`` only the Celery workers' entry point (``mail/tasks.py``) imports
  the app factory; a delivery process is handed it by the app that starts it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "eventnet"
ENTRY_POINT = PACKAGE / "mail" / "tasks.py"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, as ``(line, dotted name)``: ``from a.b import c`` gives
    ``a.b`` and ``a.b.c`` (``c`` may be a module); relative imports are resolved."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[:len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _sources(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _offending(folders: tuple[str, ...], forbidden: tuple[str, ...],
               allowed: frozenset[Path] = frozenset()) -> list[str]:
    found = []
    for folder in folders:
        for path in _sources(folder):
            if path in allowed:
                continue
            for line, name in imports(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return sorted(set(found))


def test_pages_and_commands_do_not_import_the_mail_worker() -> None:
    assert _offending(("web", "cli"), ("eventnet.mail.worker",)) == []


def test_mail_imports_no_services_pages_or_commands() -> None:
    assert _offending(("mail",), ("eventnet.services", "eventnet.web", "eventnet.cli")) == []


def test_in_mail_only_the_celery_entry_point_imports_the_app_factory() -> None:
    assert _offending(("mail",), ("eventnet.create_app",), frozenset({ENTRY_POINT})) == []
    assert any(name == "eventnet.create_app" for _line, name in imports(ENTRY_POINT))


@pytest.mark.parametrize("source, expected", [
    ("import eventnet.mail.worker", "eventnet.mail.worker"),
    ("from eventnet.mail import worker", "eventnet.mail.worker"),
    ("def f():\n    from eventnet.services.intros import maintain", "eventnet.services.intros"),
    ("from ..services import tasks", "eventnet.services.tasks"),
    ("from . import worker", "eventnet.mail.worker"),
    ("from eventnet import create_app", "eventnet.create_app"),
])
def test_the_rules_see_every_form_of_import(tmp_path: Path, source: str, expected: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself: absolute, from-, lazy and relative imports are all found."""
    fake = tmp_path / "eventnet"
    (fake / "mail").mkdir(parents=True)
    module = fake / "mail" / "example.py"
    module.write_text(source + "\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    assert expected in {name for _line, name in imports(module)}
