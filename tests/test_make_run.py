"""`make run`: what it installs, one setting for the port, and where it says to go."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from eventnet.config import from_environ

ROOT = Path(__file__).resolve().parents[1]


def test_running_installs_no_test_tools():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    running = " ".join(project["dependencies"]).lower()
    for tool in ("pytest", "playwright", "schemathesis", "mypy", "ruff", "hypothesis"):
        assert tool not in running
        assert any(tool in d for d in project["optional-dependencies"]["test"])
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e .\n" in makefile  # `make run`: the app alone
    assert "pip install --quiet -e '.[test]'" in makefile  # `make test`: the tool chain


@pytest.mark.parametrize(("bind", "url"), [
    ("127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("0.0.0.0:9000", "http://127.0.0.1:9000"),  # all interfaces: this machine's address
    ("[::]:9001", "http://[::1]:9001"),
    ("localhost", "http://localhost:8000"),
    ("unix:/run/eventnet.sock", "http://127.0.0.1:8000"),
])
def test_the_port_is_one_setting(bind, url):
    assert from_environ({"GUNICORN_BIND": bind})["EVENTNET_BASE_URL"] == url
    # a public address set on its own wins: behind a proxy it differs from the bind
    assert from_environ({"GUNICORN_BIND": bind, "EVENTNET_BASE_URL": "https://meet.example.org"}
                        )["EVENTNET_BASE_URL"] == "https://meet.example.org"


def test_make_run_ends_with_the_address_and_the_demo_sign_in(monkeypatch, capsys):
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8123")
    monkeypatch.delenv("EVENTNET_BASE_URL", raising=False)
    monkeypatch.setenv("EVENTNET_RUN_BANNER", "1")  # set by `make run` only
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    for age in range(1, conf["workers"] + 1):  # the banner once, after the last worker
        conf["post_worker_init"](SimpleNamespace(age=age))
    out = capsys.readouterr().err
    assert out.count("http://127.0.0.1:8123/") == 2
    assert out.strip().splitlines()[-1].startswith("Demo organizer sign-in: demo@example.org"
                                                     " / eventnet-demo")
    monkeypatch.delenv("EVENTNET_RUN_BANNER")  # a production server says nothing of a demo
    conf["post_worker_init"](SimpleNamespace(age=conf["workers"]))
    assert capsys.readouterr().err == ""
