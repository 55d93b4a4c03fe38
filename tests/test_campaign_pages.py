"""Campaign pages: progress fragment, pause/resume/cancel/resend-failed buttons, audit."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from tests.test_campaign_fanout import make_campaign
from webapp.extensions import db
from webapp.models import AuditLog, Campaign, Message
from webapp.services.campaigns import fanout


def running_campaign(org, count=4):
    campaign = make_campaign(org, count)
    campaign.status = "scheduled"
    fanout.expand_chunk(campaign)
    campaign.status = "running"
    db.session.commit()
    return campaign


def test_progress_fragment_counts_states_and_polls_while_running(logged_in, org):
    campaign = running_campaign(org)
    db.session.execute(
        update(Message)
        .where(
            Message.id.in_(select(Message.id).where(Message.campaign_id == campaign.id).limit(1))
        )
        .values(status="sent", sent_at=Message.created_at)
    )
    db.session.commit()
    response = logged_in.get(
        f"/campaigns/{campaign.id}?fragment=progress", headers={"HX-Request": "true"}
    )
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="campaign-live"') and 'hx-trigger="every 2s"' in page
    assert "25 %" in page and 'data-state="sent">1<' in page and 'data-state="queued">3<' in page


def test_a_campaign_with_more_than_a_page_of_recipients_pages_through_them(logged_in, org):
    campaign = running_campaign(org, count=55)
    page = logged_in.get(f"/campaigns/{campaign.id}")
    assert page.status_code == 200
    following = re.search(r'href="([^"]+)">Next', page.get_data(as_text=True))
    assert following and f"/campaigns/{campaign.id}" in following.group(1)
    second = logged_in.get(following.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and "Page 2" in second.get_data(as_text=True)


def test_pause_resume_cancel_and_resend_failed_from_the_page(logged_in, org):
    campaign = running_campaign(org)
    base = f"/campaigns/{campaign.id}"
    assert logged_in.post(f"{base}/pause").status_code == 302
    assert "Resume" in logged_in.get(base).get_data(as_text=True)
    logged_in.post(f"{base}/resume")
    first = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).first()
    first.status, first.last_error = "failed", "550 5.7.1 rejected"
    db.session.commit()
    page = logged_in.get(base).get_data(as_text=True)
    assert "Resend to failed only (1)" in page and "550 5.7.1 rejected" in page
    logged_in.post(f"{base}/resend-failed")
    db.session.expire_all()
    assert db.session.get(Message, first.id).status == "scheduled"
    logged_in.post(f"{base}/cancel")
    db.session.expire_all()
    statuses = set(
        db.session.scalars(select(Message.status).where(Message.campaign_id == campaign.id))
    )
    assert statuses == {"canceled"} and db.session.get(Campaign, campaign.id).status == "canceled"
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)).all()
    assert actions == [
        "campaign.pause",
        "campaign.resume",
        "campaign.resend_failed",
        "campaign.cancel",
    ]


def test_completion_emits_campaign_completed(logged_in, org):
    from webapp.models import WebhookDelivery, WebhookEndpoint

    db.session.add(
        WebhookEndpoint(
            org_id=org.id,
            url="https://hooks.example.com/x",
            secret_encrypted="x",
            event_types=["campaign.completed"],
        )
    )
    campaign = running_campaign(org, 2)
    db.session.execute(
        update(Message).where(Message.campaign_id == campaign.id).values(status="sent")
    )
    db.session.commit()
    page = logged_in.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "completed" in page and "100 %" in page
    assert [d.event_type for d in db.session.scalars(select(WebhookDelivery))] == [
        "campaign.completed"
    ]


def test_campaign_list_and_empty_state(logged_in, org):
    assert "No campaigns yet" in logged_in.get("/campaigns/").get_data(as_text=True)
    running_campaign(org)
    assert "Spring hiring" in logged_in.get("/campaigns/").get_data(as_text=True)
