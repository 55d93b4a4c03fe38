"""Fan-out: idempotent per (campaign, candidate), resumable after a crash, schedule applied."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Campaign, EmailTemplate, Message, TemplateVersion
from webapp.services.campaigns import drafts as campaigns
from webapp.services.campaigns import fanout
from webapp.services.campaigns import run as campaign_run

EMAILS = Path(__file__).resolve().parent.parent / "templates" / "emails"


def make_template(org, kind: str = "invitation", body: str | None = None) -> EmailTemplate:
    """An organization template whose first version is the shipped default for ``kind``."""
    head, _, default_body = (EMAILS / f"{kind}.mjml").read_text().partition("\n---\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    template = EmailTemplate(org_id=org.id, name=meta["name"], type=kind, category=meta["category"])
    db.session.add(template)
    db.session.flush()
    version = TemplateVersion(
        org_id=org.id,
        template_id=template.id,
        number=1,
        subject=meta["subject"],
        preheader=meta.get("preheader", ""),
        body_mjml=body or default_body,
    )
    db.session.add(version)
    db.session.flush()
    template.current_version_id = version.id
    db.session.flush()
    return template


def make_campaign(org, count: int = 5, *, zones=("UTC",), **schedule) -> Campaign:
    people = [factories.make_candidate(org, timezone=zones[i % len(zones)]) for i in range(count)]
    shortlist = factories.make_shortlist(org, candidates=people)
    campaign = campaigns.create_draft(
        org.id,
        job_id=shortlist.job_id,
        shortlist_id=shortlist.id,
        name="Spring hiring",
        created_by_id=None,
    )
    campaigns.set_audience(org.id, campaign, [str(p.id) for p in people])
    assert campaigns.set_template(campaign, make_template(org)) is None
    if schedule:
        now = schedule.pop("now", datetime.now(UTC))
        assert campaigns.set_schedule(campaign, now=now, **schedule) == {}
    db.session.commit()
    return campaign


def message_count(campaign) -> int:
    return db.session.scalar(select(func.count()).where(Message.campaign_id == campaign.id))


def test_fan_out_creates_one_message_per_candidate_even_when_run_twice(app, org):
    from jobs.campaigns import expand_campaign

    campaign = make_campaign(org, 12)
    assert (
        campaigns.confirm(org, campaign, typed_count="", actor_user_id=None, actor_label="t") == []
    )
    db.session.commit()
    expand_campaign(campaign.id, chunk_size=5)
    # Run again, as a retried job would, and rewind the cursor as a crash before the commit would.
    campaign = db.session.get(Campaign, campaign.id)
    campaign.status, campaign.expanded_count = "expanding", 5
    db.session.commit()
    expand_campaign(campaign.id, chunk_size=5)
    assert message_count(campaign) == 12
    per_candidate = db.session.execute(
        select(Message.candidate_id, func.count())
        .where(Message.campaign_id == campaign.id)
        .group_by(Message.candidate_id)
    ).all()
    assert {n for _, n in per_candidate} == {1}
    message = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).first()
    assert message.status == "queued" and message.is_transactional is False  # due now
    jobs = app.extensions["herald.redis"].lrange("rq:queue:bulk", 0, -1)
    assert len(jobs) == 3  # one send batch per chunk of 5; none for rows skipped on the rerun
    assert message.category == "invitations" and message.shortlist_entry_id is not None
    assert message.context["job"]["title"] == "Backend Engineer"
    assert db.session.get(Campaign, campaign.id).status == "running"
    ids = db.session.scalars(select(Message.id).where(Message.campaign_id == campaign.id)).all()
    # time-ordered UUIDv7 (models.new_id), on PostgreSQL minted by the fan-out's statement
    before = datetime.now(UTC).timestamp() * 1000
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert all(before - 600_000 < i.int >> 80 <= before for i in ids)
    assert len(set(ids)) == 12


def test_recipient_local_nine_oclock_across_zones_and_dst(app, org):
    # 2026-03-28 is the Saturday before Europe's spring-forward; New York changed on 03-08.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    campaign = make_campaign(
        org,
        3,
        zones=("Europe/Paris", "America/New_York", "Asia/Tokyo"),
        mode="local",
        send_at=None,
        local_time="09:00",
        window=None,
        now=now,
    )
    campaign.status = "scheduled"
    fanout.expand_chunk(campaign, now=now)
    db.session.commit()
    due = {
        m.context["recipient"]["timezone"]: m.send_after
        for m in db.session.scalars(select(Message).where(Message.campaign_id == campaign.id))
    }
    # Paris: 09:00 on Sunday 29 March is already summer time (UTC+2) → 07:00 UTC.
    assert due["Europe/Paris"] == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    # New York (UTC-4 since 8 March): 09:00 on the 28th is 13:00 UTC, still ahead of noon.
    assert due["America/New_York"] == datetime(2026, 3, 28, 13, 0, tzinfo=UTC)
    # Tokyo: 09:00 on the 28th has passed (21:00 local now) → 09:00 on the 29th = 00:00 UTC.
    assert due["Asia/Tokyo"] == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)


def test_send_window_defers_to_next_open_weekday(app, org):
    # Friday 2026-03-27 19:30 UTC, window weekdays 08:00-18:00 UTC → Monday 08:00.
    now = datetime(2026, 3, 27, 19, 30, tzinfo=UTC)
    window = {"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}
    campaign = make_campaign(
        org, 2, mode="now", send_at=None, local_time="", window=window, now=now
    )
    campaign.status = "scheduled"
    fanout.expand_chunk(campaign, now=now)
    times = set(
        db.session.scalars(select(Message.send_after).where(Message.campaign_id == campaign.id))
    )
    assert times == {datetime(2026, 3, 30, 8, 0, tzinfo=UTC)}


def test_cancel_stops_unsent_messages_and_pause_resume_keeps_times(app, org):
    campaign = make_campaign(org, 4)
    campaign.status = "scheduled"
    fanout.expand_chunk(campaign)
    first = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).first()
    first.status = "sent"
    campaign.status = "running"
    db.session.commit()
    before = dict(
        db.session.execute(
            select(Message.id, Message.send_after).where(Message.campaign_id == campaign.id)
        ).all()
    )
    assert campaign_run.pause(campaign)
    db.session.commit()
    statuses = set(
        db.session.scalars(select(Message.status).where(Message.campaign_id == campaign.id))
    )
    assert statuses == {"sent", "paused"}
    assert campaign_run.resume(campaign)
    db.session.commit()
    after = dict(
        db.session.execute(
            select(Message.id, Message.send_after).where(Message.campaign_id == campaign.id)
        ).all()
    )
    assert after == before
    assert campaign_run.cancel(campaign) == 3
    db.session.commit()
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign.id)
        .group_by(Message.status)
    ).all()
    assert dict(rows) == {"sent": 1, "canceled": 3}


def test_c7_refuses_without_postal_address_and_large_sends_need_typed_count(app, org):
    campaign = make_campaign(org, 3)
    org.postal_address = ""
    problems = campaigns.confirm(org, campaign, typed_count="", actor_user_id=None, actor_label="t")
    assert any("postal address" in p for p in problems)
    assert campaign.status == "draft"
    org.postal_address = "1 Main Street"
    campaign.candidate_ids = [str(uuid.uuid4()) for _ in range(1001)]
    problems = campaigns.confirm(
        org, campaign, typed_count="1000", actor_user_id=None, actor_label="t"
    )
    assert problems == ["Type the number of recipients (1001) to confirm a send this large."]


def test_stored_context_is_the_same_on_every_database(app, org):
    """PostgreSQL builds the context in SQL, SQLite in Python: the result must not differ."""
    from webapp.models import Job, ShortlistEntry
    from webapp.services.campaigns.context import recipient_context

    campaign = make_campaign(org, 2, zones=("Asia/Tokyo",))
    job = db.session.get(Job, campaign.job_id)
    entries = db.session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.shortlist_id == campaign.shortlist_id)
    ).all()
    expected = {  # as the entries are before sending ("pending" becomes "invited")
        e.id: recipient_context(org, e.candidate, e, job, words=False) for e in entries
    }
    campaign.status = "scheduled"
    fanout.expand_chunk(campaign)
    db.session.commit()
    for message in db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)):
        assert message.context == expected[message.shortlist_entry_id]
        assert message.to_name == message.context["candidate"]["full_name"]
