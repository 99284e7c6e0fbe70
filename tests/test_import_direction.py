"""Imports flow one way (shared/STYLE.md): web/cli → services → models/matching/badges/mail.

Every module of the package is read with ``ast``: imports at module level, inside functions
(lazy imports count: they are the same dependency, paid later) and under ``TYPE_CHECKING``.
Each import is an arrow from the importing module's layer to the imported module's layer;
an arrow its layer may not draw fails the test, named with its file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "eventnet"

#: the layer of each package under eventnet/
PACKAGES = {
    "web": "web",
    "cli": "cli",
    "services": "services",
    "mail": "mail",
    "models": "models",
    "matching": "matching",
    "badges": "badges",
}

#: the layer of each module at the package's root; a new one fails the test until placed here
ROOT_MODULES = {
    # __init__.py: create_app, the composition root, the one module that knows everything
    "eventnet": "app",
    # settings from EVENTNET_* variables: imports nothing of ours, read by every layer
    "eventnet.config": "base",
    # db, migrate, login, csrf, limiter, babel, created unbound: what models are built on
    "eventnet.extensions": "base",
    # engine tuning and write transactions, beside the extensions it configures
    "eventnet.database": "base",
    # a calendar file from plain values, pure like badges: no flask, no database
    "eventnet.ics": "ics",
}

#: the layers each layer may import (its own included). web and cli call services and read
#: models; services use everything below them; mail reads and writes the outbox models;
#: models stand on the extensions; matching, badges and ics import nothing from eventnet.
#: Nothing but the app factory imports web or cli.
ALLOWED = {
    "app": {"app", "web", "cli", "services", "mail", "models", "matching", "badges", "ics",
            "base"},
    "web": {"web", "services", "models", "base"},
    "cli": {"cli", "services", "models", "base"},
    "services": {"services", "mail", "models", "matching", "badges", "ics", "base"},
    "mail": {"mail", "models", "matching", "badges", "ics", "base"},
    "models": {"models", "base"},
    "base": {"base"},
    "matching": {"matching"},
    "badges": {"badges"},
    "ics": {"ics"},
}

#: A process's entry point builds its app: the console script, a Celery worker, a spawned
#: delivery process. Those layers may import the app factory, inside a function only.
BUILDS_THE_APP = {"cli", "services", "mail"}


@dataclass(frozen=True)
class Arrow:
    """One import: ``source`` (a module) imports ``target`` at ``path``:``line``."""

    source: str
    target: str
    path: str
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    """The dotted name of a file of the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The layer of an eventnet module, None for one at the root that has no place yet."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in PACKAGES:
        return PACKAGES[parts[1]]
    return ROOT_MODULES.get(".".join(parts[:2]))


def arrows_of(source: str, module: str, path: str, is_package: bool,
              known: set[str]) -> list[Arrow]:
    """Every import of an eventnet module in ``source``, at any depth."""
    tree = ast.parse(source)
    inside: set[int] = set()  # ids of the import nodes that sit in a function body
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    found: list[Arrow] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:  # relative: from the package (or the module's package) upward
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                imported = ".".join(base + ([node.module] if node.module else []))
            else:
                imported = node.module or ""
            # ``from eventnet.services import tokens`` imports the module tokens
            targets = [f"{imported}.{a.name}" if f"{imported}.{a.name}" in known else imported
                       for a in node.names]
        for target in targets:
            if target == "eventnet" or target.startswith("eventnet."):
                found.append(Arrow(module, target, path, node.lineno, id(node) in inside))
    return sorted(found, key=lambda arrow: arrow.line)


def package_arrows() -> list[Arrow]:
    """Every import between eventnet's modules."""
    files = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(f) for f in files}
    known |= {module_name(f.parent / "__init__.py") for f in files}  # namespace packages
    arrows: list[Arrow] = []
    for file in files:
        arrows += arrows_of(file.read_text(encoding="utf-8"), module_name(file),
                            str(file.relative_to(PACKAGE.parent)), file.name == "__init__.py",
                            known)
    return arrows


def against_the_direction(arrows: list[Arrow]) -> list[str]:
    """The arrows their layer may not draw, each said once in one line."""
    wrong: list[str] = []
    for arrow in arrows:
        source, target = layer_of(arrow.source), layer_of(arrow.target)
        if source is None or target is None:
            continue  # reported by test_every_module_has_a_layer
        if target in ALLOWED[source]:
            continue
        if target == "app" and source in BUILDS_THE_APP and arrow.in_function:
            continue
        wrong.append(f"{arrow.path}:{arrow.line}: {arrow.source} ({source}) imports "
                     f"{arrow.target} ({target})")
    return list(dict.fromkeys(wrong))  # ``from m import a, b`` is one arrow


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({m for f in PACKAGE.rglob("*.py") if layer_of(m := module_name(f)) is None})
    assert not unplaced, ("place these modules in a layer in ROOT_MODULES or PACKAGES "
                          "(following shared/STYLE.md): " + ", ".join(unplaced))


def test_imports_flow_one_way() -> None:
    wrong = against_the_direction(package_arrows())
    assert not wrong, "imports against the direction of shared/STYLE.md:\n" + "\n".join(wrong)


def test_the_walk_sees_lazy_relative_and_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import eventnet.models\n"
        "from . import tokens\n"
        "from ..web import routes\n"
        "if TYPE_CHECKING:\n"
        "    from eventnet.cli import main\n"
        "def send():\n"
        "    from eventnet import create_app\n"
        "    import json\n"
    )
    known = {"eventnet.services.tokens", "eventnet.web.routes"}
    arrows = arrows_of(source, "eventnet.services.x", "x.py", False, known)
    assert [(a.target, a.line, a.in_function) for a in arrows] == [
        ("eventnet.models", 2, False), ("eventnet.services.tokens", 3, False),
        ("eventnet.web.routes", 4, False), ("eventnet.cli", 6, False),
        ("eventnet", 8, True)]
    assert against_the_direction(arrows) == [
        "x.py:4: eventnet.services.x (services) imports eventnet.web.routes (web)",
        "x.py:6: eventnet.services.x (services) imports eventnet.cli (cli)",
    ]
    top_level = Arrow("eventnet.mail.x", "eventnet", "x.py", 1, in_function=False)
    assert against_the_direction([top_level]) == [
        "x.py:1: eventnet.mail.x (mail) imports eventnet (app)"]
