"""The invitation wizard in Chromium as a recruiter uses a browser (issue 14, item 10): every
step has its own address, so reloading a step, going back and forward, or opening the address
again lands on that step with what was chosen; and a draft can be deleted from the wizard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.support import factories
from tests.support.browser import browser_login
from tests.test_campaign_fanout import make_template
from webapp.extensions import db
from webapp.models import Campaign

pytestmark = pytest.mark.browser


def heading(page) -> str:
    return page.locator("#wizard h2").first.inner_text()


def test_each_wizard_step_survives_a_reload_and_the_draft_can_be_deleted(
    page, live_server, user, org
):
    people = [factories.make_candidate(org, f"cand{n}@example.com") for n in range(3)]
    job = factories.make_job(org, "Platform Engineer")
    factories.make_shortlist(org, job, people)
    make_template(org)
    db.session.commit()

    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/campaigns/new")
    page.get_by_role("radio", name="Platform Engineer", exact=True).check()  # not its shortlist
    page.get_by_role("button", name="Next: candidates →").click()
    page.wait_for_url(re.compile(r".*/audience$"))
    page.locator("input[name=candidate_id]").nth(2).uncheck()
    page.get_by_role("button", name="Next: template →").click()
    page.wait_for_url(re.compile(r".*/template$"))
    page.reload()
    assert heading(page) == "Which email?"
    page.get_by_role("button", name="Next: when →").click()
    page.wait_for_url(re.compile(r".*/schedule$"))
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Next: review →").click()
    page.wait_for_url(re.compile(r".*/review$"))
    review_url = page.url

    page.reload()
    assert heading(page) == "Review and confirm"
    assert page.locator("[data-count=will_send]").inner_text() == "2"  # the unticked one stays out
    page.go_back()
    page.wait_for_url(re.compile(r".*/schedule$"))
    page.reload()
    assert heading(page) == "When should it go out?"
    assert page.get_by_label("Now").is_checked()
    page.go_back()
    page.wait_for_url(re.compile(r".*/template$"))
    assert heading(page) == "Which email?"
    page.goto(review_url)  # the address alone, e.g. from another tab
    assert heading(page) == "Review and confirm"

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this draft").click()
    page.wait_for_url(f"{live_server.url}/campaigns/")
    assert page.get_by_text("deleted.").first.is_visible()
    db.session.expire_all()
    assert db.session.scalars(select(Campaign)).all() == []
    gone = page.goto(review_url)
    assert gone.status == 404
