"""A live eventnet server and a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_available() or os.environ.get("EVENTNET_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (CI installs it)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The test app served over HTTP on a free loopback port; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    old = app.config["EVENTNET_BASE_URL"]
    app.config["EVENTNET_BASE_URL"] = base
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(5)
        app.config["EVENTNET_BASE_URL"] = old


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def launch_chromium(playwright: Any, extra_args: list[str] | None = None) -> Any:
    """Start Debian's Chromium headless (Playwright's own download does not work here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      args=CHROMIUM_ARGS + (extra_args or []))


def sign_in_organizer(page: Any, base: str, email: str) -> None:
    """Sign in on the organizer form with the tests' password; on the dashboard after."""
    page.goto(f"{base}/organizer/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/organizer/")


def follow_magic_link(page: Any, link: str) -> None:
    """Open a magic link and press "Continue as ..." (a GET alone signs no one in)."""
    page.goto(link)
    with page.expect_navigation():
        page.click("form[method=post] button[type=submit]")


@pytest.fixture(scope="session")
def _chromium(playwright_instance: Any) -> Iterator[list[Any]]:
    """One Chromium for the session (starting one took seconds per test on a loaded machine),
    in a list so that ``browser`` can replace it should it ever crash."""
    running = [launch_chromium(playwright_instance)]
    yield running
    running[0].close()


@pytest.fixture
def browser(_chromium: list[Any], playwright_instance: Any) -> Iterator[Any]:
    """The session's Chromium. Tests share nothing through it: each opens its own context
    (cookies, storage, service workers, cache), and whatever context a test leaves open is
    closed after it."""
    if not _chromium[0].is_connected():
        _chromium[0] = launch_chromium(playwright_instance)
    browser = _chromium[0]
    yield browser
    for context in browser.contexts:
        context.close()


def _expected(text: str) -> bool:
    # A form re-rendered with errors answers 422 on purpose; Chromium logs that as an error.
    return "status of 422" in text


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any JavaScript error."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not _expected(msg.text) else None)
    page.js_errors = errors
    #: console messages a test expects (for its whole length, however late they come)
    page.js_expected = []
    yield page
    context.close()
    errors = [e for e in errors if not any(text in e for text in page.js_expected)]
    assert errors == [], f"JavaScript errors: {errors}"
