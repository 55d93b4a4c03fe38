"""Chromium on the pages incoming mail shows on: a bounced message with the server's
diagnostic, a replied message with the candidate's words, the folded quote and the attachment
to download, the candidate's replies, and Settings → Bounces & replies -- at desktop width and
at 390 px; screenshots in tests/screenshots/."""

from __future__ import annotations

from pathlib import Path

from jobs.inbound import process_inbound
from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.support.inbound import fill, sample
from tests.test_messages_pages_browser import WIDER_THAN_VIEWPORT
from webapp.extensions import db
from webapp.models import InboundMail
from webapp.services.tracking.drain import drain


def _receive(app, message, name: str, rcpt_key: str) -> None:
    values = fill(message, app)
    raw = sample(name, **values)
    mail_from = "" if rcpt_key == "verp" else message.to_email
    db.session.add(
        InboundMail(mail_from=mail_from, rcpt_to=[values[rcpt_key]], raw=raw, size=len(raw))
    )
    db.session.commit()


def test_incoming_mail_pages_in_chromium(app, live_server, page, recruiting):
    org, (hard, _soft, _complained, away, replying) = recruiting
    user = factories.make_user("owner@acme.example", org=org, role="owner")
    db.session.commit()
    _receive(app, hard, "postfix_hard", "verp")
    _receive(app, away, "ooo_exchange", "reply")
    _receive(app, replying, "reply_attachment", "reply")
    assert process_inbound() == {"bounce": 1, "autoreply": 1, "reply": 1}
    drain(app.extensions["herald.redis"])
    browser_login(page, live_server, user.email, factories.PASSWORD)

    page.goto(f"{live_server.url}/messages/{hard.id}")
    incoming = page.locator("#incoming").inner_text()
    assert "Hard bounce" in incoming and "5.1.1" in incoming
    assert "User unknown in virtual mailbox table" in incoming
    assert "bounced" in page.locator(".page-header").inner_text()
    screenshot(page, "inbound-bounced-message")

    page.goto(f"{live_server.url}/messages/{replying.id}")
    reply = page.locator("#incoming li[data-incoming=reply]")
    assert "Thursday works, but could we do 10:00?" in reply.locator("blockquote").inner_text()
    assert not page.locator("#incoming details pre").is_visible()  # the quote is folded
    page.locator("#incoming summary").click()
    assert "Thursday at 09:00" in page.locator("#incoming details pre").inner_text()
    with page.expect_download() as download:
        page.click("text=jane-doe-cv.pdf")
    assert download.value.suggested_filename == "jane-doe-cv.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    screenshot(page, "inbound-replied-message")

    page.goto(f"{live_server.url}/messages/{away.id}")
    assert "Automatic reply" in page.locator("#incoming").inner_text()

    page.goto(f"{live_server.url}/audience/candidates/{replying.candidate_id}")
    assert "Thursday works" in page.locator(".incoming-list").inner_text()
    screenshot(page, "inbound-candidate")

    page.goto(f"{live_server.url}/settings/inbound")
    page.check("#s-replies")
    page.click("text=Save")
    assert "Saved" in page.locator(".flashes").inner_text()
    assert page.is_checked("#s-return_path") and page.is_checked("#s-replies")
    screenshot(page, "inbound-settings")

    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (
        (f"/messages/{hard.id}", "inbound-bounced-message-390"),
        (f"/messages/{replying.id}", "inbound-replied-message-390"),
        ("/settings/inbound", "inbound-settings-390"),
    ):
        page.goto(f"{live_server.url}{path}")
        screenshot(page, name)
        wide = page.evaluate(WIDER_THAN_VIEWPORT)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1 and not wide, f"{path} scrolls sideways at 390 px: {wide}"
