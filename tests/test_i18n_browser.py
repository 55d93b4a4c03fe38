"""Chromium at 390 px: the Arabic interview page reads right to left, the French preference
page in French; nothing overflows or overlaps. Screenshots land in tests/screenshots/."""

from __future__ import annotations

import pytest

from tests.support.browser import screenshot
from tests.test_i18n_pages import invited
from webapp.extensions import db
from webapp.services.interviews import links as interview_links
from webapp.services.links import preferences_url

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}

# Every visible box of the page's card (headings, lines, buttons, fields) and whether any two
# that are not nested overlap, and how far the page scrolls sideways.
LAYOUT = """() => {
  const card = document.querySelector('.public-card');
  const boxes = [...card.querySelectorAll('h1, p, dt, dd, button, label, select, textarea, legend')]
    .filter(e => e.offsetParent !== null)
    .map(e => ({e, r: e.getBoundingClientRect()}));
  const overlaps = [];
  for (const a of boxes) for (const b of boxes) {
    if (a === b || a.e.contains(b.e) || b.e.contains(a.e)) continue;
    const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    const name = e => e.outerHTML.slice(0, 60);
    if (x > 1 && y > 1) overlaps.push(name(a.e) + ' / ' + name(b.e));
  }
  return {overlaps, scroll: document.documentElement.scrollWidth, width: innerWidth};
}"""


# The distance from the card's right and left edges to an element's text.
TEXT_GAPS = """(selector) => {
  const element = document.querySelector(selector);
  const card = element.closest('.public-card').getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(element);
  const rects = [...range.getClientRects()];
  return [card.right - Math.max(...rects.map(r => r.right)),
          Math.min(...rects.map(r => r.left)) - card.left];
}"""


def _no_overlap_no_overflow(page) -> None:
    layout = page.evaluate(LAYOUT)
    assert layout["overlaps"] == []
    assert layout["scroll"] <= layout["width"]


def test_the_arabic_interview_page_reads_right_to_left_on_a_phone(live_server, page, org):
    entry = invited(org, "ar", "Asia/Dubai")
    page.set_viewport_size(PHONE)
    page.goto(interview_links.invite_url(entry))
    heading = page.get_by_role("heading", name="مقابلة لوظيفة Backend Engineer")
    heading.wait_for()
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    screenshot(page, "i18n-interview-ar-390")
    # Right-to-left: the heading and the greeting start at the card's right edge; the short
    # greeting leaves its room on the left.
    for selector in (".public-card h1", ".public-card h1 + p"):
        gap_right, gap_left = page.evaluate(TEXT_GAPS, selector)
        assert gap_right < 30, (selector, gap_right)
    assert gap_left > 200
    # The first action in reading order stands to the right of the next one.
    ask = page.get_by_role("button", name="اطلب موعدًا آخر").bounding_box()
    decline = page.get_by_role("button", name="اعتذر عن الحضور").bounding_box()
    assert ask["x"] > decline["x"] and abs(ask["y"] - decline["y"]) < 5
    # The facts list: the label on the right, its value to its left.
    when_label = page.locator("dt", has_text="الموعد").bounding_box()
    when_value = page.locator("dd").first.bounding_box()
    assert when_label["x"] > when_value["x"]
    assert "الثلاثاء، 2 مارس 2027" in page.locator("dd").first.inner_text()
    _no_overlap_no_overflow(page)
    page.get_by_role("button", name="اقبل المقابلة").click()
    page.get_by_text("شكرًا لك! تم تأكيد مقابلتك.").wait_for()
    screenshot(page, "i18n-interview-ar-accepted-390")
    _no_overlap_no_overflow(page)


def test_the_french_preference_page_on_a_phone(live_server, page, org):
    invited(org, "fr-CA", "America/Toronto")
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(preferences_url(org.id, "ada@example.com"))
    page.get_by_role("heading", name="Préférences e-mail").wait_for()
    assert page.evaluate("document.documentElement.lang") == "fr"
    screenshot(page, "i18n-preferences-fr-390")
    _no_overlap_no_overflow(page)
    page.get_by_label("Rappels d’entretien").uncheck()  # noqa: RUF001  French apostrophe
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.get_by_text("Vos choix sont enregistrés.").wait_for()
    assert not page.get_by_label("Rappels d’entretien").is_checked()  # noqa: RUF001
    screenshot(page, "i18n-preferences-fr-saved-390")
    _no_overlap_no_overflow(page)
