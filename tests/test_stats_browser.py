"""Chromium opens the statistics overview: the charts draw, the breakdown loads, and the page
holds together at 360 px; screenshots land in tests/screenshots/."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.support.browser import browser_login, screenshot
from webapp.extensions import db
from webapp.models import Campaign, Message, StatRollup, utcnow
from webapp.services.stats import metrics as m
from webapp.services.tracking import domain_rollups

DRAWN_PIXELS = """(id) => {
  const canvas = document.getElementById(id);
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def _seed(org) -> Campaign:
    campaign = Campaign(org_id=org.id, name="Backend engineers, March")
    db.session.add(campaign)
    db.session.flush()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for day in range(7):
        hour = now - timedelta(days=day, hours=2)
        sent = 40 + 7 * day
        for metric, count in {
            m.SENT: sent,
            m.DELIVERED: sent - 2,
            m.OPENED_UNIQUE: sent // 2,
            m.OPENED_UNIQUE_HUMAN: sent // 3,
            m.CLICKED_UNIQUE: sent // 5,
            m.CLICKED_UNIQUE_HUMAN: sent // 6,
            m.BOUNCED_HARD: 1 + day % 2,
            m.BOUNCED_SOFT: day % 3,
            m.UNSUBSCRIBED: 1,
        }.items():
            db.session.add(
                StatRollup(
                    org_id=org.id,
                    hour=hour,
                    campaign_id=campaign.id,
                    template_version_id=m.NIL,
                    metric=metric,
                    count=count,
                )
            )
    for index in range(6):
        db.session.add(
            Message(
                org_id=org.id,
                campaign_id=campaign.id,
                to_email=f"candidate{index}@example.com",
                to_name=f"Candidate {index}",
                status="delivered" if index % 3 else "bounced",
                send_after=now,
                sent_at=now,
                opened_at=now if index % 2 else None,
                open_count=index % 2,
                machine_open_count=1 if index == 2 else 0,
            )
        )
    db.session.flush()
    domain_rollups.rebuild(org.id)  # the messages were written directly, not sent
    db.session.commit()
    return campaign


def test_overview_draws_its_charts(live_server, page, org, user):
    campaign = _seed(org)
    browser_login(page, live_server, user.email, "correct horse battery")
    page.goto(f"{live_server.url}/stats/?days=7")
    page.wait_for_selector("#chart-engagement[data-drawn=true]")
    page.wait_for_selector("#chart-problems[data-drawn=true]")
    assert page.evaluate(DRAWN_PIXELS, "chart-engagement") > 2000
    assert page.evaluate(DRAWN_PIXELS, "chart-problems") > 500
    page.wait_for_selector("#breakdown table")  # the campaign breakdown came in over htmx
    assert "Backend engineers, March" in page.text_content("#breakdown")
    screenshot(page, "stats-overview")

    page.click("#breakdown >> text=Recipient domains")
    page.wait_for_selector("#breakdown >> text=example.com")

    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/stats/?days=7")
    page.wait_for_selector("#chart-engagement[data-drawn=true]")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways at 360 px"
    screenshot(page, "stats-overview-360")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/stats/campaigns/{campaign.id}")
    page.select_option("#opened", "yes")
    # a locator assertion, not wait_for_function: the page's policy forbids eval
    expect(page.locator("#recipients")).not_to_contain_text("Candidate 0")
    assert "Candidate 1" in page.text_content("#recipients")
    assert "opened=yes" in page.url  # the filter is in the address, so it can be shared
    screenshot(page, "stats-campaign-report")

    page.goto(f"{live_server.url}/stats/queues")
    page.wait_for_selector("text=Queue health")
    screenshot(page, "stats-queues")

    page.set_viewport_size({"width": 360, "height": 800})
    for path, name in ((f"/stats/campaigns/{campaign.id}", "report"), ("/stats/queues", "queues")):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at 360 px"
        screenshot(page, f"stats-{name}-360")


def test_audit_log_page_filters_with_the_keyboard(live_server, page, org, user):
    from webapp.services import audit

    for action, details in (
        ("campaign.send", {"recipients": 120}),
        ("template.update", {"name": "Invitation", "version": 3}),
        ("member.role", {"role": "viewer"}),
    ):
        audit.record(
            org.id,
            action,
            actor_user_id=user.id,
            actor_label=user.email,
            target_type=action.split(".")[0],
            target_id=org.id,
            details=details,
        )
    db.session.commit()
    browser_login(page, live_server, user.email, "correct horse battery")
    page.goto(f"{live_server.url}/settings/audit")
    page.focus("#action")
    page.select_option("#action", "campaign")
    page.keyboard.press("Tab")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**action=campaign**")
    rows = page.locator("tr[data-action]")
    assert rows.count() == 1 and rows.first.get_attribute("data-action") == "campaign.send"
    page.goto(f"{live_server.url}/settings/audit")
    screenshot(page, "audit-log")


def test_queue_health_shows_the_scheduler_and_stuck_mail(
    live_server, page, app, app_settings, org, user
):
    import subprocess
    import sys

    from tests.support.cluster import ROOT, wait_until
    from tests.support.processes import process_env
    from webapp.services.sending.outbox import create_message

    settings = app.config["HERALD"]
    settings.stuck_alert_seconds = 60
    for n in range(3):
        message = create_message(
            org.id, to_email=f"w{n}@example.com", raw_subject="Hi", raw_text="x"
        )
        message.send_after = utcnow() - timedelta(minutes=10)  # due long ago, never sent
    db.session.commit()
    env = process_env(app, app_settings)
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "scheduler"], cwd=ROOT, env=env
    )
    try:
        conn = app.extensions["herald.redis"]
        wait_until(lambda: conn.get("herald:scheduler:leader"), 30, "the scheduler to lead")
        browser_login(page, live_server, user.email, "correct horse battery")
        page.goto(f"{live_server.url}/stats/queues")
        rows = page.locator("[data-scheduler] tbody tr")
        assert rows.count() == 1 and "leader" in rows.first.inner_text()
        assert page.locator("[data-kpi=stuck] .value").inner_text() == "3"
        screenshot(page, "queue-health")
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"page is {width}px wide at 390px"
        screenshot(page, "queue-health-phone")
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=20)
