# ruff: noqa: E501 - template sources read best as the one line an author would write
"""The editor in a real Chromium: typing updates the preview; a broken tag shows an error."""

from __future__ import annotations

import pytest

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from webapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(page, live_server, org):
    user = factories.make_user("editor@example.com", org=org, role="editor")
    db.session.commit()
    browser_login(page, live_server, user.email, factories.PASSWORD)
    return page


def preview_body(page):
    return page.frame_locator("#preview iframe.studio-frame").locator("body")


def test_typing_updates_the_preview_and_a_broken_tag_shows_an_error(signed_in, live_server):
    page = signed_in
    page.goto(f"{live_server.url}/templates/new?type=invitation")
    frame = preview_body(page)
    frame.get_by_text("Hi Ada, let's talk about the Backend Engineer role").wait_for()

    # type into the CodeMirror editor: the preview follows after the debounce
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type(
        "<mj-section><mj-column><mj-text>Typed in Chromium {{ job.title }}</mj-text></mj-column></mj-section>\n"
    )
    frame.get_by_text("Typed in Chromium Backend Engineer").wait_for()
    assert page.locator("#preview .studio-ok").is_visible()

    # a broken Jinja tag on line 1: the error appears with its line, the source is kept
    page.keyboard.press("Control+Home")
    page.keyboard.type("{{ candidate.first_name ")
    error = page.locator("#preview .studio-errors")
    error.wait_for()
    assert "Line 1" in error.inner_text()
    assert page.locator(".CodeMirror-code .cm-error-line").count() >= 1
    assert "{{ candidate.first_name" in page.locator(".CodeMirror").inner_text()
    screenshot(page, "studio-error")

    # fixing it brings the preview back; the mobile toggle narrows the frame
    page.keyboard.type("}}")
    frame.get_by_text("Typed in Chromium Backend Engineer").wait_for()
    page.get_by_role("button", name="Mobile").click()
    width = page.locator("#preview iframe.studio-frame").bounding_box()["width"]
    assert width <= 380
    screenshot(page, "studio-editor-mobile-preview")


def test_save_then_history_at_phone_width(signed_in, live_server):
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/templates/new?type=reminder_24h")
    preview_body(page).get_by_text("See you tomorrow, Ada").wait_for()
    page.get_by_role("button", name="Save template").click()
    page.get_by_text("as version 1").wait_for()
    preview_body(page).get_by_text("See you tomorrow, Ada").wait_for()  # preview after reload
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 362, scroll_width  # nothing forces sideways scrolling at 360 px
    screenshot(page, "studio-editor-360")
    page.locator(".studio-preview").screenshot(path=str(screenshot(page, "studio-preview-360")))
    page.get_by_role("link", name="History").click()
    page.get_by_text("v1").first.wait_for()
    screenshot(page, "studio-history-360")


def test_preview_iframe_cannot_touch_the_admin_page(signed_in, live_server):
    page = signed_in
    page.goto(f"{live_server.url}/templates/new?type=custom")
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(
        "<mj-raw><script>parent.document.title='pwned'</script><img src=\"https://img.example.com/x.png\" onerror=\"parent.document.body.innerHTML=''\"></mj-raw>"
    )
    page.wait_for_timeout(900)
    assert page.title() != "pwned"
    assert page.locator(".CodeMirror").is_visible()
    sandbox = page.locator("#preview iframe.studio-frame").get_attribute("sandbox")
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox


def test_brand_page_preview(signed_in, live_server, org):
    page = signed_in
    page.goto(f"{live_server.url}/templates/")
    screenshot(page, "studio-list")
    page.goto(f"{live_server.url}/settings/brand")
    page.frame_locator("#brand-preview iframe").get_by_text("Hi Ada").wait_for()
    screenshot(page, "brand-settings")
