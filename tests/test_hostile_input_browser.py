"""Chromium on the pages that refuse bad input: a webhook URL inside the network gets its
reason next to the field; a damaged CSV imports its good rows and lists the bad ones with
their reasons; an unreadable file gets its reason next to the file field. Desktop and 390 px;
screenshots in tests/screenshots/."""

from __future__ import annotations

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from webapp.extensions import db

DAMAGED_CSV = (
    b'email,first_name\r\nada@example.com,Ada\rbig@example.com,"' + b"x" * 140_000 + b'"\n'
    b'nul@example.com,N\x00L\ngrace@example.com,Grace\nopen@example.com,"never closed\n'
    b"linus@example.com,Linus\n"
)
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_bad_input_is_explained_in_chromium(live_server, page, org, app, tmp_path):
    app.config["HERALD"].webhook_allow_private = False
    user = factories.make_user("owner@acme.example", org=org, role="owner")
    db.session.commit()
    browser_login(page, live_server, user.email, factories.PASSWORD)

    page.goto(f"{live_server.url}/settings/webhooks")
    page.fill("input[name=url]", "http://2130706433/hook")
    page.click("button:has-text('Add endpoint')")
    error = page.locator(".field-error").first
    assert "points inside a private network (2130706433 is 127.0.0.1)" in error.inner_text()
    assert page.input_value("input[name=url]") == "http://2130706433/hook"
    screenshot(page, "webhook-private-address")

    damaged = tmp_path / "candidates.csv"
    damaged.write_bytes(DAMAGED_CSV)
    page.goto(f"{live_server.url}/audience/imports/new")
    page.set_input_files("input[name=file]", str(damaged))
    page.click("button:has-text('Upload and map columns')")
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=Rows not imported")
    report = page.inner_text("#import-progress")
    assert "A cell is longer than 131,072 characters" in report
    assert "NUL character" in report and "never closed" in report
    new = page.locator(".kpi", has_text="New candidates").locator(".value").inner_text()
    assert new == "3"
    screenshot(page, "import-damaged-report")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(NO_OVERFLOW), "the report fits a phone screen"
    screenshot(page, "import-damaged-report-390")

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("email,first_name\nzoe@example.com,Zoé\n".encode("latin-1"))
    page.goto(f"{live_server.url}/audience/imports/new")
    page.set_input_files("input[name=file]", str(latin1))
    page.click("button:has-text('Upload and map columns')")
    assert "is not UTF-8 text" in page.inner_text("#file-error")
    assert page.evaluate(NO_OVERFLOW)
    screenshot(page, "import-unreadable-390")
    page.goto(f"{live_server.url}/settings/webhooks")
    page.fill("input[name=url]", "http://[::ffff:127.0.0.1]/")
    page.click("button:has-text('Add endpoint')")
    assert "private network" in page.locator(".field-error").first.inner_text()
    screenshot(page, "webhook-private-address-390")
