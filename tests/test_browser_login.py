"""A real browser signs in and sees the dashboard, on a desktop and on a 360 px phone."""

import pytest

from tests.support import factories
from tests.support.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_sign_in_and_see_the_dashboard(page, live_server, user, org):
    browser_login(page, live_server, user.email, factories.PASSWORD)
    assert page.locator("h1").first.inner_text() == org.name
    assert page.get_by_role("heading", name="Getting started").is_visible()
    screenshot(page, "dashboard-desktop")


def test_dashboard_is_usable_at_360px(page, live_server, user, org):
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{live_server.url}/settings/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the settings page scrolls sideways on a phone"
    screenshot(page, "settings-mobile")
