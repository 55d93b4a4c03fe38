"""Chromium walks the invitation wizard from job to confirm, then watches the progress page
reach 100 % while real burst workers (separate processes) fan out and send to a real SMTP
server."""

from __future__ import annotations

import re

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.test_campaign_fanout import make_template
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.services.queues import DEFAULT, get_queue


def test_wizard_from_job_to_confirm_and_progress_to_100(
    smtp_server,
    live_server,
    worker_env,  # noqa: F811
    page,
    user,
    org,
):
    zones = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Europe/Berlin")
    people = [
        factories.make_candidate(
            org, f"cand{n}@example.com", first_name=f"Cand{n}", timezone=zones[n]
        )
        for n in range(5)
    ]
    job = factories.make_job(org, "Platform Engineer", location="Lyon")
    factories.make_shortlist(org, job, people)
    make_template(org)
    db.session.commit()

    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/campaigns/new")
    page.locator("label.choice", has_text="Platform Engineer").locator(
        "input[name=job]"
    ).check()  # htmx loads the shortlists
    page.get_by_role("button", name="Next: candidates →").click()
    page.wait_for_url(re.compile(r".*/audience$"))
    assert page.locator("input[name=candidate_id]:checked").count() == 5
    screenshot(page, "wizard-2-candidates")
    page.get_by_role("button", name="Next: template →").click()
    page.wait_for_url(re.compile(r".*/template$"))
    preview = page.frame_locator("iframe.preview-frame")
    preview.get_by_text("let's talk about the Platform Engineer role").wait_for()
    screenshot(page, "wizard-3-template")
    page.get_by_role("button", name="Next: when →").click()
    page.wait_for_url(re.compile(r".*/schedule$"))
    page.get_by_label("Now").check()
    screenshot(page, "wizard-4-when")
    page.get_by_role("button", name="Next: review →").click()
    page.wait_for_url(re.compile(r".*/review$"))
    assert page.locator("[data-count=will_send]").inner_text() == "5"
    screenshot(page, "wizard-5-review")
    page.set_viewport_size({"width": 360, "height": 800})
    screenshot(page, "wizard-5-review-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}$"))
    page.get_by_text("0 %").first.wait_for()

    run_burst(worker_env, DEFAULT)  # fan-out
    get_queue(DEFAULT).enqueue("jobs.sending.dispatch_due", description="dispatch_due")
    run_burst(worker_env)  # dispatch, then the send batches
    page.locator("[data-progress-percent]", has_text="100 %").wait_for(timeout=20_000)
    screenshot(page, "campaign-progress-done")
    assert page.locator("[data-state=sent]").inner_text() == "5"
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        f"cand{n}@example.com" for n in range(5)
    ]
