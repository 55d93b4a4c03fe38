"""States and words that mislead (issue 14, item 9), as the recruiter reads the pages: a
campaign whose mail is due later says "scheduled" and when it starts, not "running"; "time
left" counts to the last email due, not from the last minute's rate; while the guardrail has
paused bulk sending the campaign and wizard pages say so; every time on the message pages is
in the organization's zone and names it; no form field says aria-describedby="None"."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from tests.support import factories
from tests.test_campaign_pages import running_campaign
from tests.test_worker import worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Message, utcnow
from webapp.services.sending.outbox import create_message


def _later(campaign, hours: float) -> None:
    db.session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id)
        .values(status="scheduled", send_after=utcnow() + timedelta(hours=hours))
    )
    db.session.commit()


def test_a_campaign_due_tomorrow_says_scheduled_and_when_it_starts(logged_in, org):
    org.timezone = "Europe/Berlin"
    campaign = running_campaign(org)
    _later(campaign, 20)
    page = logged_in.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    state = re.search(r"data-campaign-state>(.*?)</span>\s*</span>", page, re.DOTALL).group(1)
    assert "scheduled" in state and "running" not in state
    assert "the first email goes out" in page and "(Europe/Berlin)" in page
    listing = logged_in.get("/campaigns/").get_data(as_text=True)
    assert ">scheduled<" in listing and ">running<" not in listing


def test_time_left_counts_to_the_last_email_due(logged_in, org):
    campaign = running_campaign(org, count=6)
    _later(campaign, 16.2)
    ids = db.session.scalars(select(Message.id).where(Message.campaign_id == campaign.id)).all()
    db.session.execute(  # two went out in the last minute: the rate alone says "a minute"
        update(Message).where(Message.id.in_(ids[:2])).values(status="sent", sent_at=utcnow())
    )
    db.session.commit()
    page = logged_in.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    left = re.search(r"data-time-left>(.*?)</div>", page).group(1)
    assert left.startswith("16 h"), left
    assert "last email due" in page


def test_campaign_and_wizard_pages_say_bulk_sending_is_paused(logged_in, org):
    campaign = running_campaign(org)
    org.bulk_paused_at = utcnow()
    org.bulk_paused_reason = "Complaints reached 0.3% of sent mail over 7 days."
    db.session.commit()
    page = logged_in.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Bulk sending is paused" in page and "Complaints reached 0.3%" in page
    wizard = logged_in.get("/campaigns/new", follow_redirects=True).get_data(as_text=True)
    assert "Bulk sending is paused" in wizard


def test_message_pages_show_times_in_the_organizations_zone(logged_in, org):
    org.timezone = "Europe/Berlin"
    message = create_message(
        org.id,
        to_email="ada@example.com",
        raw_subject="Hello",
        raw_html="<p>Hi</p>",
        send_after=utcnow() + timedelta(hours=3),
    )
    db.session.commit()
    berlin = message.send_after.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    for url in (f"/messages/{message.id}", "/messages/"):
        page = logged_in.get(url).get_data(as_text=True)
        assert " UTC" not in page, url
        assert berlin.strftime("%H:%M") in page and berlin.strftime("%Z") in page, url


def test_no_form_field_says_none_in_its_aria_attributes(logged_in, org, app):
    factories.make_shortlist(org, candidates=[factories.make_candidate(org)])
    db.session.commit()
    checked = 0
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in rule.methods
            or rule.arguments
            or rule.endpoint.startswith(
                ("api.", "static", "tracking.", "preferences.", "webhooks.", "ops.")
            )
        ):
            continue
        response = logged_in.get(rule.rule)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        checked += 1
        assert '="None"' not in page, rule.rule
    assert checked > 15


def test_a_suppressed_recipient_is_not_invited_on_the_shortlist_or_in_the_export(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
):
    from jobs.campaigns import expand_campaign
    from jobs.sending import dispatch_due
    from tests.test_campaign_fanout import make_campaign
    from tests.test_worker import run_burst
    from webapp.models import Candidate, ShortlistEntry
    from webapp.services.campaigns import drafts as campaigns
    from webapp.services.consent.suppressions import suppress
    from webapp.services.queues import BULK, TRANSACTIONAL

    campaign = make_campaign(org, 2)
    people = db.session.scalars(select(Candidate).order_by(Candidate.email)).all()
    suppress(org.id, people[1].email, "unsubscribed")
    assert (
        campaigns.confirm(org, campaign, typed_count="", actor_user_id=None, actor_label="t") == []
    )
    db.session.commit()
    expand_campaign(str(campaign.id))
    dispatch_due()
    run_burst(worker_env, TRANSACTIONAL, BULK)
    assert [r.rcpt_tos for r in smtp_server.received] == [[people[0].email]]

    db.session.expire_all()
    status = dict(
        db.session.execute(
            select(ShortlistEntry.candidate_id, ShortlistEntry.response_status)
        ).all()
    )
    assert status == {people[0].id: "invited", people[1].id: "pending"}
    page = logged_in.get(f"/audience/shortlists/{campaign.shortlist_id}").get_data(as_text=True)
    row = page[page.index(people[1].email) :].split("</tr>", 1)[0]
    assert "invited" not in row
    export = logged_in.get(f"/stats/campaigns/{campaign.id}/recipients.csv").get_data(as_text=True)
    line = next(line for line in export.splitlines() if people[1].email in line)
    assert "invited" not in line and "suppressed" in line
