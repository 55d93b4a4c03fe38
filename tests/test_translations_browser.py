"""Translations in a real Chromium: add one beside the source, watch its preview, see it
marked outdated after the source changes, and an Arabic one previewed right to left."""

from __future__ import annotations

import pytest

from tests.support.browser import screenshot
from tests.test_templates_studio import create
from tests.test_templates_studio_browser import signed_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def preview_html(page):
    return page.frame_locator("#preview iframe.studio-frame").locator("html")


def add_translation(page, language: str) -> None:
    page.get_by_label("Add a translation").fill(language)
    page.get_by_role("button", name="Translate").click()
    page.wait_for_url(f"**/translations/{language}")


def test_a_translation_beside_the_source_goes_outdated_when_the_source_changes(
    signed_in,  # noqa: F811
    live_server,
    logged_in,
):
    page = signed_in
    template = create(logged_in)
    page.goto(f"{live_server.url}/templates/{template.id}")
    page.get_by_role("link", name="Languages").click()
    add_translation(page, "fr")
    source = page.locator(".translate-source")
    assert "Interview for {{ job.title }}" in source.inner_text()

    page.get_by_label("Subject").fill("Entretien pour {{ job.title }}")
    page.get_by_label("MJML body").fill(
        "<mj-section><mj-column><mj-text>Bonjour {{ candidate.first_name }}</mj-text>"
        "</mj-column></mj-section>"
    )
    preview_html(page).get_by_text("Bonjour Ada").wait_for()
    assert preview_html(page).get_attribute("lang") == "fr"
    assert (
        "Entretien pour Backend Engineer" in page.locator("#preview .studio-subject").inner_text()
    )
    page.get_by_role("button", name="Save French").click()
    page.get_by_text("Saved the French translation as version 2.").wait_for()
    assert page.locator('.translate-target [data-state="current"]').is_visible()

    # the source changes in the editor: the translation is now outdated
    page.goto(f"{live_server.url}/templates/{template.id}")
    page.locator("#subject").fill("Your interview for {{ job.title }}")
    page.get_by_role("button", name="Save version").click()
    page.get_by_text("as version 3").wait_for()
    page.get_by_role("link", name="Languages").click()
    row = page.locator('tr[data-language="fr"]')
    assert "outdated" in row.inner_text()
    screenshot(page, "studio-languages")
    row.get_by_role("link", name="Edit and preview").click()
    banner = page.locator("#outdated")
    assert "the source changed after this translation was last edited" in banner.inner_text()
    assert "Your interview for {{ job.title }}" in page.locator(".translate-source").inner_text()
    preview_html(page).get_by_text("Bonjour Ada").wait_for()  # the preview shows French

    # an Arabic translation previews right to left; the page at phone width stacks
    page.get_by_role("link", name="All languages").click()
    add_translation(page, "ar")
    page.get_by_label("Subject").fill("مقابلة لوظيفة {{ job.title }}")
    page.get_by_label("MJML body").fill(
        "<mj-section><mj-column><mj-text>مرحبا {{ candidate.first_name }}، نود أن نتحدث معك"
        '</mj-text><mj-button href="{{ invite_url }}">اختر موعدا</mj-button></mj-column>'
        "</mj-section>"
    )
    preview_html(page).get_by_text("اختر موعدا").wait_for()
    assert preview_html(page).get_attribute("dir") == "rtl"
    assert page.get_by_label("Subject").get_attribute("dir") == "rtl"
    page.locator("#preview iframe.studio-frame").scroll_into_view_if_needed()
    screenshot(page, "studio-translation-side-by-side")
    page.set_viewport_size({"width": 390, "height": 900})
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the translation page is {wide}px wide at 390px"
    screenshot(page, "studio-translation-phone")

    # the Arabic email itself, as a phone shows it: right to left, nothing wider than 390px
    email_html = page.locator("#preview iframe.studio-frame").get_attribute("srcdoc")
    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 800})
    phone.set_content(email_html)
    assert phone.evaluate("document.documentElement.dir") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    greeting = phone.get_by_text("مرحبا Ada")
    assert greeting.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert greeting.evaluate("e => getComputedStyle(e).textAlign") == "right"
    address = phone.get_by_text("1 Main Street, Springfield")  # Latin text keeps its order
    assert address.evaluate("e => getComputedStyle(e).direction") == "ltr"
    screenshot(phone, "email-arabic-390")
    phone.close()
