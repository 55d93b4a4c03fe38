""" "Forgot password" walked in Chromium, desktop and 390 px phone: the link on the sign-in
page, the address, the email in the dev inbox (sent by a real worker), the link, a new
password, signing in with it; the used link and an expired one show the link-expired page."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.browser import screenshot
from tests.support.processes import process_env
from tests.test_csp_browser import inbox  # noqa: F401  the dev inbox on a free port
from tests.test_password_reset import text_of
from tests.test_worker import run_burst
from webapp.services.queues import TRANSACTIONAL

pytestmark = pytest.mark.browser
NEW_PASSWORD = "correct-horse-battery"


def emailed_link(app, app_settings, folder) -> tuple[bytes, str]:
    """A real worker sends what the web process queued to the dev inbox; the one email there
    and the reset link in it."""
    env = process_env(
        app,
        app_settings,
        HERALD_SMTP_HOST="127.0.0.1",
        HERALD_SMTP_PORT=str(app_settings["smtp_port"]),
    )
    run_burst(env, TRANSACTIONAL)
    [mail] = [path.read_bytes() for path in sorted(folder.glob("*.eml"))]
    return mail, re.search(r"http://\S+/reset-password/\S+", text_of(mail)).group(0)


def ask_for_a_link(page, live_server, address: str, name: str) -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(f"{live_server.url}/forgot-password")
    screenshot(page, f"forgot-password-{name}")
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Email me a link").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    screenshot(page, f"forgot-password-sent-{name}")


@pytest.mark.parametrize("width", [1280, 390])
def test_forgot_password_from_sign_in_to_signed_in(
    inbox,  # noqa: F811
    page,
    live_server,
    app,
    app_settings,
    user,
    org,
    width,
):
    name = "desktop" if width > 400 else "phone"
    page.set_viewport_size({"width": width, "height": 860})
    ask_for_a_link(page, live_server, user.email, name)
    mail, link = emailed_link(app, app_settings, inbox)
    assert b"Subject: Reset your Herald password" in mail

    page.goto(link)
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    screenshot(page, f"reset-password-{name}")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url(re.compile(r".*/login\?email="))
    assert page.get_by_text("Your new password is set").is_visible()
    screenshot(page, f"login-after-reset-{name}")
    assert page.get_by_label("Email").input_value() == user.email
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").first.inner_text() == org.name
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto(f"{live_server.url}/dev-inbox/")  # the email as the dev inbox shows it
    page.get_by_role("link", name="Reset your Herald password").click()
    assert page.get_by_text("works for 60 minutes, and only once").first.is_visible()
    screenshot(page, f"reset-email-{name}")

    used = page.goto(link)
    assert used.status == 404
    assert page.get_by_role("heading", name="This link is not valid").is_visible()
    screenshot(page, f"reset-link-expired-{name}")


def test_an_expired_link_shows_the_link_expired_page(
    inbox,  # noqa: F811
    page,
    live_server,
    app,
    app_settings,
    user,
):
    ask_for_a_link(page, live_server, user.email, "again")
    _mail, link = emailed_link(app, app_settings, inbox)
    app.config["HERALD"].password_reset_minutes = 1 / 60  # links now work for one second
    time.sleep(2.1)
    expired = page.goto(link)
    assert expired.status == 404
    assert page.get_by_role("heading", name="This link is not valid").is_visible()
    page.get_by_role("link", name="Email me a new link").click()
    page.wait_for_url(f"{live_server.url}/forgot-password")
