"""Pages that stay current: the home page, the messages list and queue health refresh
themselves while mail is moving, and stop once nothing is."""

from __future__ import annotations

from sqlalchemy import update

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from webapp.extensions import db
from webapp.models import Message, utcnow
from webapp.services.sending.outbox import create_message


def queued_message(org) -> Message:
    message = create_message(org.id, to_email="ada@example.com", raw_subject="Hello", raw_html="x")
    db.session.commit()  # queued: its job waits in Redis, no worker runs here
    return message


def mark_sent(message) -> None:
    db.session.execute(
        update(Message).where(Message.id == message.id).values(status="sent", sent_at=utcnow())
    )
    db.session.commit()


def test_pages_poll_only_while_mail_is_moving(logged_in, org):
    for url in ("/", "/messages/", "/stats/queues"):
        assert "hx-trigger=" not in logged_in.get(url).text, url
    message = queued_message(org)
    for url, region in (("/", "home-live"), ("/messages/", "messages-live"),
                        ("/stats/queues", "queues-live")):  # fmt: skip
        page = logged_in.get(url).text
        assert f'hx-select="#{region}"' in page and 'hx-trigger="every 3s"' in page, url
        assert "Updating by itself while mail is moving" in page
    mark_sent(message)
    assert "hx-trigger=" not in logged_in.get("/messages/").text


def test_the_messages_list_catches_up_by_itself(live_server, page, user, org):
    message = queued_message(org)
    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/messages/")
    row = page.locator("tr", has_text="ada@example.com")
    assert "queued" in row.inner_text()
    screenshot(page, "messages-live-queued")
    mark_sent(message)  # a worker somewhere sent it
    row.get_by_text("sent", exact=True).wait_for(timeout=10_000)  # no reload by the test
    assert page.get_by_text("Updating by itself").count() == 0  # and the polling stopped
    page.goto(f"{live_server.url}/")
    assert page.locator("[data-live]").count() == 0
