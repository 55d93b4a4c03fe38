"""Chromium: the candidate's interview page at 360 px (pick a slot with the keyboard), and the
recruiter's audience pages (CSV import with its report, shortlist, candidate timeline)."""

from __future__ import annotations

from datetime import timedelta

from babel.dates import format_date, format_time

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from webapp.extensions import db
from webapp.models import ShortlistEntry, utcnow
from webapp.services.interviews import links as interview_links


def test_candidate_picks_an_offered_slot_on_a_phone(live_server, page, org):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", timezone="Asia/Tokyo"
    )
    entry = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None).entries[
        0
    ]
    slots = [
        (utcnow() + timedelta(days=d)).replace(minute=0, second=0, microsecond=0) for d in (3, 4)
    ]
    entry.offered_slots = [s.isoformat() for s in slots]
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 760})
    page.goto(interview_links.invite_url(entry))
    page.get_by_text("Pick a time that suits you").wait_for()
    screenshot(page, "interview-page-360")
    local = slots[1].astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    label = f"{format_date(local, 'full', locale='en')}, {format_time(local, 'short', locale='en')}"
    page.get_by_label(label, exact=False).check()
    page.get_by_role("button", name="Confirm this time").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Your interview is confirmed").wait_for()
    screenshot(page, "interview-page-confirmed-360")
    db.session.expire_all()
    saved = db.session.get(ShortlistEntry, entry.id)
    assert saved.interview_at == slots[1] and saved.response_status == "accepted"


def test_import_report_and_audience_pages(live_server, page, user, org, tmp_path):
    shortlist = factories.make_shortlist(org)
    db.session.commit()
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "email,first name,tz\nada@example.com,Ada,Europe/Paris\n"
        "broken,Bad,UTC\nlin@example.com,Lin,Asia/Shanghai\n"
    )
    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/audience/imports/new?shortlist={shortlist.id}")
    page.set_input_files("input[type=file]", str(csv_file))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_text("Match the columns").wait_for()
    page.select_option("#map-timezone", "tz")
    screenshot(page, "import-mapping")
    page.get_by_role("button", name="Import 3 rows").click()
    page.get_by_text("Rows not imported").wait_for()
    assert "Invalid email address 'broken'" in page.content()
    screenshot(page, "import-report")
    page.get_by_role("link", name="Open the shortlist →").click()
    page.get_by_text("lin@example.com").wait_for()
    screenshot(page, "shortlist")
    page.set_viewport_size({"width": 360, "height": 760})
    screenshot(page, "shortlist-360")
    page.goto(f"{live_server.url}/audience/candidates")
    screenshot(page, "candidates-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Ada").click()
    page.get_by_text("No messages yet").wait_for()
    screenshot(page, "candidate-page")
    page.goto(f"{live_server.url}/settings/automations")
    page.get_by_text("New automation").wait_for()
    screenshot(page, "automations")
