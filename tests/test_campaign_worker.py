"""Fan-out in a real worker process: SIGKILL it mid-fan-out, restart, and every candidate
has exactly one message; then a burst worker sends them all to a real SMTP server."""

from __future__ import annotations

import os
import signal
from collections import Counter

from sqlalchemy import func, select

from tests.support import factories
from tests.test_campaign_fanout import make_template
from tests.test_worker import run_burst, start_worker, wait_for, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Campaign, Candidate, Message, ShortlistEntry, new_id, utcnow
from webapp.services.campaigns import drafts as campaigns
from webapp.services.queues import DEFAULT, get_queue


def bulk_audience(org, count: int) -> Campaign:
    now = utcnow()
    people = [
        {
            "id": new_id(),
            "org_id": org.id,
            "email": f"p{n}@example.com",
            "first_name": f"P{n}",
            "last_name": "X",
            "timezone": "UTC",
            "locale": "en",
            "attributes": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(Candidate.__table__.insert(), people)
    shortlist = factories.make_shortlist(org)
    db.session.execute(
        ShortlistEntry.__table__.insert(),
        [
            {
                "id": new_id(),
                "org_id": org.id,
                "shortlist_id": shortlist.id,
                "candidate_id": p["id"],
                "created_at": now,
                "offered_slots": [],
                "duration_minutes": 45,
                "location": "",
                "video_url": "",
                "response_status": "pending",
                "response_note": "",
                "invite_nonce": 0,
                "is_canceled": False,
            }
            for p in people
        ],
    )
    campaign = campaigns.create_draft(
        org.id, job_id=shortlist.job_id, shortlist_id=shortlist.id, name="Bulk", created_by_id=None
    )
    campaigns.set_audience(org.id, campaign, [str(p["id"]) for p in people])
    campaigns.set_template(campaign, make_template(org))
    campaign.status = "scheduled"
    db.session.commit()
    return campaign


def cursor(campaign_id) -> int:
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id).expanded_count


def test_worker_killed_mid_fan_out_resumes_with_one_message_per_candidate(worker_env, org):  # noqa: F811
    campaign = bulk_audience(org, 3000)
    get_queue(DEFAULT).enqueue(
        "jobs.campaigns.expand_campaign", str(campaign.id), 100, description="expand_campaign"
    )
    worker = start_worker(worker_env, DEFAULT, burst=False)
    wait_for(lambda: cursor(campaign.id) >= 300, timeout=60)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    stopped_at = cursor(campaign.id)
    assert 300 <= stopped_at < 3000, "the worker must die in the middle of the fan-out"
    get_queue(DEFAULT).enqueue("jobs.campaigns.resume_stalled", description="resume_stalled")
    run_burst(worker_env, DEFAULT)

    db.session.expire_all()
    per_candidate = Counter(
        db.session.scalars(select(Message.candidate_id).where(Message.campaign_id == campaign.id))
    )
    assert len(per_candidate) == 3000 and set(per_candidate.values()) == {1}
    done = db.session.get(Campaign, campaign.id)
    assert (done.status, done.expanded_count) == ("running", 3000)


def test_burst_worker_sends_every_invitation_once(worker_env, smtp_server, org):  # noqa: F811
    campaign = bulk_audience(org, 25)
    get_queue(DEFAULT).enqueue(
        "jobs.campaigns.expand_campaign", str(campaign.id), description="expand_campaign"
    )
    run_burst(worker_env, DEFAULT)
    get_queue(DEFAULT).enqueue("jobs.sending.dispatch_due", description="dispatch_due")
    run_burst(worker_env)
    assert len(smtp_server.received) == 25
    assert len(set(smtp_server.message_ids())) == 25
    db.session.expire_all()
    counts = Counter(
        db.session.scalars(select(Message.status).where(Message.campaign_id == campaign.id))
    )
    assert counts == {"sent": 25}
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ShortlistEntry)
            .where(ShortlistEntry.response_status == "invited")
        )
        == 25
    )
