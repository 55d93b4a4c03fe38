"""Chromium on the messages pages: the list with filters, a failed message's detail with its
timeline and the sandboxed preview (a script in the email cannot run), retry from the failed
view, the relays page -- at desktop width and at 360 px; screenshots in tests/screenshots/."""

from __future__ import annotations

from datetime import timedelta

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from webapp.extensions import db
from webapp.models import DeliveryAttempt, Message, Relay, utcnow

WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
    && !(el.parentElement && el.parentElement.closest('.table-wrap, .tabs')))
  .map(el => el.tagName + '.' + el.className).slice(0, 5)"""


def _seed(org) -> Message:
    now = utcnow()
    states = ["sent", "sent", "deferred", "scheduled", "bounced", "failed", "unknown", "sent"]
    failed = None
    for n, status in enumerate(states):
        message = Message(
            org_id=org.id,
            to_email=f"candidate{n}@example.com",
            to_name=f"Candidate {n}",
            status=status,
            send_after=now + timedelta(hours=1),
            raw_subject="Interview invitation: Backend Engineer",
            subject="Interview invitation: Backend Engineer",
            raw_html="<h1>Hello!</h1><p>We would like to meet you.</p>"
            "<script>document.title='pwned'</script>",
            is_transactional=n % 2 == 0,
            category="invitation",
            attempts=2 if status == "failed" else 1,
            last_error="550 5.7.1 Message rejected by policy" if status == "failed" else "",
            relay_name="primary",
            created_at=now - timedelta(minutes=n),
        )
        db.session.add(message)
        db.session.flush()
        if status == "failed":
            failed = message
            for code, reply, outcome in (
                (451, "451 4.3.0 Mailbox temporarily unavailable", "deferred"),
                (550, "550 5.7.1 Message rejected by policy", "failed"),
            ):
                db.session.add(
                    DeliveryAttempt(
                        org_id=org.id,
                        message_id=message.id,
                        attempted_at=now - timedelta(minutes=10 if code == 451 else 1),
                        relay_name="primary",
                        smtp_code=code,
                        smtp_reply=reply,
                        outcome=outcome,
                        duration_ms=42,
                    )
                )
    db.session.add(
        Relay(
            org_id=org.id,
            name="primary",
            preset="sendgrid",
            host="smtp.sendgrid.net",
            username="apikey",
            priority=10,
        )
    )
    db.session.commit()
    return failed


def test_messages_pages_in_chromium(live_server, page, org):
    user = factories.make_user("owner@acme.example", org=org, role="owner")
    failed = _seed(org)
    browser_login(page, live_server, user.email, factories.PASSWORD)

    page.goto(f"{live_server.url}/messages/")
    assert page.locator("table tbody tr").count() == 8
    page.select_option("#f-status", "failed")
    page.click("text=Filter")
    assert page.locator("table tbody tr").count() == 1
    screenshot(page, "messages-list")

    page.goto(f"{live_server.url}/messages/{failed.id}")
    assert page.locator(".timeline li").count() == 2
    frame = page.frame_locator("iframe.message-preview")
    assert frame.locator("h1").inner_text() == "Hello!"
    assert page.title() != "pwned"
    screenshot(page, "messages-detail")

    page.goto(f"{live_server.url}/messages/failed")
    assert "550 5.7.1" in page.locator("table").inner_text()
    screenshot(page, "messages-failed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("table button", has_text="Retry").first.click()
    page.wait_for_load_state()
    assert "will be sent again" in page.locator(".flashes").inner_text()

    page.goto(f"{live_server.url}/settings/relays")
    assert "smtp.sendgrid.net" in page.locator("table").inner_text()
    screenshot(page, "settings-relays")

    page.set_viewport_size({"width": 360, "height": 800})
    for path, name in (
        ("/messages/", "messages-list-360"),
        (f"/messages/{failed.id}", "messages-detail-360"),
        ("/settings/relays", "settings-relays-360"),
    ):
        page.goto(f"{live_server.url}{path}")
        screenshot(page, name)
        wide = page.evaluate(WIDER_THAN_VIEWPORT)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1 and not wide, f"{path} scrolls sideways at 360 px: {wide}"
