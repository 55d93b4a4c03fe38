"""The public preference page and the settings pages in a real browser (Chromium): usable at
360 px wide and with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.support.browser import browser_login, screenshot
from tests.support.factories import PASSWORD
from tests.test_tracking_helpers import make_sent_message
from webapp.extensions import db
from webapp.services.consent.suppressions import is_suppressed, suppress
from webapp.services.links import unsubscribe_url
from webapp.services.notify import webhooks as outgoing_webhooks

pytestmark = pytest.mark.browser


def test_recipient_unsubscribes_with_the_keyboard_on_a_phone(live_server, page, org):
    org.brand.primary_color = "#0f766e"
    db.session.commit()
    message = make_sent_message(org)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(unsubscribe_url(org.id, message.to_email, message.id))
    assert page.locator("h1").inner_text() == "Email preferences"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no horizontal scrolling at 360 px"
    screenshot(page, "unsubscribe-360")
    button = page.get_by_role("button", name="Unsubscribe from everything")
    for _ in range(15):  # reach the button with Tab only
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    assert button.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.get_by_text("You are unsubscribed from everything").wait_for()
    screenshot(page, "unsubscribe-done-360")
    assert is_suppressed(org.id, message.to_email)


def test_settings_pages_render_at_360_px(live_server, page, org, user):
    outgoing_webhooks.create_endpoint(org.id, url="https://hooks.example.com/herald")
    suppress(org.id, "ada@example.com", "complaint")
    db.session.commit()
    browser_login(page, live_server, user.email, PASSWORD)
    page.set_viewport_size({"width": 360, "height": 740})
    for path, name in [
        ("/settings/webhooks", "webhooks"),
        ("/settings/providers", "providers"),
        ("/settings/suppressions", "suppressions"),
        ("/settings/domains", "domains"),
    ]:
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1
        screenshot(page, f"settings-{name}-360")
