"""Browser fixtures: the app served on 127.0.0.1 in a thread, and a Playwright page driving
Debian's Chromium. Without /usr/bin/chromium, browser tests are skipped with that reason."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


class LiveServer:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    app.config["HERALD"].public_url = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser test: {CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs in every document before its own scripts (DevTools injects it, so the page's policy
# does not apply) and reports each Content-Security-Policy violation to the console.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.URL}:${event.lineNumber}`);
});
"""


def is_csp_error(text: str) -> bool:
    return "CSP violation" in text or "Content Security Policy" in text


@pytest.fixture
def csp_errors() -> list[str]:
    """Console errors about the Content-Security-Policy seen by ``page`` (from every frame)."""
    return []


@pytest.fixture
def page(_browser, csp_errors):
    """A Chromium page; the test fails if any page it opened broke the Content-Security-Policy
    (a test that provokes a violation on purpose empties ``csp_errors`` itself)."""
    context = _browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text)
            if message.type == "error" and is_csp_error(message.text)
            else None
        ),
    )
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert csp_errors == [], f"the Content-Security-Policy was violated: {csp_errors}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_login(page, live_server, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
