"""A recruiter looking at a sent message in Chromium is not the candidate opening it (issue 14,
item 2): a real worker sends an invitation whose pixel and click links point at the live
server; the recruiter opens the message page, reads the frame and clicks its links; no open
and no click is recorded. The candidate's own open, from the received email, still counts.
Screenshots of the message page at desktop width and at 390 px."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from jobs.tracking import drain_events
from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.test_sent_record import _html_part, _invitation
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Message, MessageEvent
from webapp.services.queues import TRANSACTIONAL

PIXEL = re.compile(r'<img src="([^"]+/t/o/[^"]+)"')
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
    && !(el.parentElement && el.parentElement.closest('.table-wrap, .tabs')))
  .map(el => el.tagName + '.' + el.className).slice(0, 5)"""


def _engagement(message_id):
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    stored = db.session.scalar(
        select(func.count())
        .select_from(MessageEvent)
        .where(MessageEvent.message_id == message_id, MessageEvent.type.in_(("opened", "clicked")))
    )
    counts = (message.open_count, message.click_count)
    machine = (message.machine_open_count, message.machine_click_count)
    return counts, machine, stored


def test_viewing_a_message_in_the_dashboard_records_no_open_and_no_click(
    app_settings,
    live_server,
    worker_env,  # noqa: F811
    smtp_server,
    page,
    org,
    client,
):
    user = factories.make_user("recruiter@acme.example", org=org, role="owner")
    message, *_ = _invitation(org, user)
    run_burst(worker_env, TRANSACTIONAL)
    sent_html = _html_part(smtp_server.received[0].data)
    assert live_server.url + "/t/o/" in sent_html  # the email tracks through this server

    tracking_hits = []
    page.on("request", lambda r: "/t/" in r.url and tracking_hits.append(r.url))
    outside: list[str] = []

    def block(route) -> None:  # nothing leaves the machine
        outside.append(route.request.url)
        route.abort()

    page.context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), block)
    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/messages/{message.id}")
    frame = page.frame_locator("iframe.message-preview")
    assert "let's talk about the Backend Engineer role" in frame.locator("body").inner_text()
    assert frame.locator("a[href*='/t/c/']").count() == 0
    assert frame.locator("img[src*='/t/o/']").count() == 0
    screenshot(page, "message-sent-record")
    video = frame.locator("a", has_text="join the call")
    assert video.get_attribute("href") == "https://meet.example.com/room"
    with page.context.expect_page() as opened:
        video.click()  # a new tab goes to the address itself, not through the click redirect
    opened.value.close()
    assert "https://meet.example.com/room" in outside  # straight there (and blocked here)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/messages/{message.id}")
    page.frame_locator("iframe.message-preview").locator("text=Kind regards").wait_for()
    page.locator("iframe.message-preview").scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    screenshot(page, "message-sent-record-390")
    wide = page.evaluate(WIDER_THAN_VIEWPORT)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1 and not wide, f"the message page scrolls sideways at 390 px: {wide}"

    drain_events()
    assert tracking_hits == []
    assert _engagement(message.id) == ((0, 0), (0, 0), 0)

    # the candidate opening the received email is still counted
    pixel = PIXEL.search(sent_html).group(1).replace(live_server.url, "")
    assert client.get(pixel, headers={"User-Agent": "Mozilla/5.0 (Macintosh)"}).status_code == 200
    drain_events()
    counts, machine, stored = _engagement(message.id)
    assert counts[0] + machine[0] == 1 and stored == 1
