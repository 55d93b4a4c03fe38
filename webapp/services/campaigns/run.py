"""A confirmed campaign at work: fan-out, progress, pause, resume, cancel, resend to failed.

Fan-out writes Message rows in chunks with one bulk ``INSERT … ON CONFLICT DO NOTHING`` per
chunk; the unique (campaign_id, candidate_id) constraint makes it idempotent and
``Campaign.expanded_count`` is the cursor, so a crashed fan-out resumes where it stopped and
never writes a second message for a candidate. Rows are ``scheduled`` with their own
``send_after`` (recipient-local time and send window applied); the dispatcher queues them when
due.

Pausing sets every unsent message of the campaign to the status ``paused`` (a value of the
status column that no dispatcher or worker picks up: claiming needs ``queued``, dispatching
needs ``scheduled``/``deferred``); resuming sets them back to ``scheduled`` with their own
``send_after`` untouched, so each recipient keeps their local time. Canceling marks them
``canceled``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import (
    Campaign,
    CampaignStatus,
    Candidate,
    EmailTemplate,
    Job,
    Message,
    MessageStatus,
    Organization,
    ShortlistEntry,
    new_id,
    utcnow,
)
from webapp.services import audit, queues
from webapp.services.campaigns import sql as campaign_sql
from webapp.services.campaigns.bulk import copy_insert_ignore, id_in, is_postgresql
from webapp.services.campaigns.context import recipient_context
from webapp.services.interviews import reminders
from webapp.services.scheduling import send_time
from webapp.services.templates.context_data import job_data

logger = logging.getLogger(__name__)

CHUNK = 10_000
PAUSED = "paused"  # Message.status while its campaign is paused
UNSENT = (
    MessageStatus.SCHEDULED.value,
    MessageStatus.QUEUED.value,
    MessageStatus.DEFERRED.value,
)
ACTIVE = (
    CampaignStatus.SCHEDULED.value,
    CampaignStatus.EXPANDING.value,
    CampaignStatus.RUNNING.value,
)


def expand_chunk(campaign: Campaign, *, now: datetime | None = None, size: int = CHUNK) -> int:
    """Write the next chunk of messages; returns how many recipients it covered (0 = done).

    Messages due now are written ``queued`` and handed to the bulk queue after the chunk's
    commit; later ones are ``scheduled`` for the dispatcher.
    """
    now = now or utcnow()
    ids = campaign.candidate_ids[campaign.expanded_count : campaign.expanded_count + size]
    if not ids:
        return 0
    org = db.session.get(Organization, campaign.org_id)
    job = db.session.get(Job, campaign.job_id) if campaign.job_id else None
    template = db.session.get(EmailTemplate, campaign.template_id) if campaign.template_id else None
    uuids = [uuid.UUID(i) for i in ids]
    paused = campaign.status == CampaignStatus.PAUSED.value
    if is_postgresql():
        due = _expand_sql(campaign, org, template, job, uuids, now, paused)
    else:
        due = _expand_python(campaign, org, template, job, uuids, now, paused)
    if due:
        after_commit(queues.enqueue_due_campaign_messages, due)
    campaign.expanded_count += len(ids)
    db.session.flush()
    return len(ids)


def _expand_python(campaign, org, template, job, uuids, now, paused) -> list[uuid.UUID]:
    entries = _entries(campaign, uuids)
    rows = [
        _row(org, campaign, template, job, candidate, entries.get(candidate.id), now, paused)
        for candidate in _candidates(campaign.org_id, uuids)
    ]
    inserted = copy_insert_ignore(Message.__table__, rows, ["campaign_id", "candidate_id"])
    queued = MessageStatus.QUEUED.value
    return [row["id"] for row in rows if row["status"] == queued and row["id"] in inserted]


def _expand_sql(campaign, org, template, job, uuids, now, paused) -> list[uuid.UUID]:
    def due_for_zone(zone_name: str) -> datetime:
        return send_time(
            campaign.schedule_mode,
            now=now,
            recipient_tz=zone_name,
            org_tz=org.timezone,
            send_at=campaign.send_at,
            local_time=campaign.local_time,
            window=campaign.send_window,
        )

    zones = campaign_sql.zone_times(campaign.org_id, due_for_zone)
    params = {
        "org_id": campaign.org_id,
        "campaign_id": campaign.id,
        "category": campaign.category,
        "kind": template.type if template else "invitation",
        "template_id": campaign.template_id,
        "template_version_id": campaign.template_version_id,
        "job": job_data(job),
        "org_tz": org.timezone,
        "shortlist_id": campaign.shortlist_id,
    }
    return campaign_sql.insert_chunk(params, uuids, zones, now, paused)


@dataclass
class _Person:
    """The columns fan-out needs, read without building ORM objects (fast for 100,000)."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    timezone: str
    locale: str
    attributes: dict

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _candidates(org_id: uuid.UUID, ids: list[uuid.UUID]) -> list[_Person]:
    statement = select(
        Candidate.id,
        Candidate.email,
        Candidate.first_name,
        Candidate.last_name,
        Candidate.timezone,
        Candidate.locale,
        Candidate.attributes,
    ).where(Candidate.org_id == org_id, id_in(Candidate.id, ids), Candidate.erased_at.is_(None))
    return [_Person(*row) for row in db.session.execute(statement)]


def _entries(campaign: Campaign, candidate_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not campaign.shortlist_id:
        return {}
    statement = select(
        ShortlistEntry.id,
        ShortlistEntry.candidate_id,
        ShortlistEntry.interview_at,
        ShortlistEntry.duration_minutes,
        ShortlistEntry.location,
        ShortlistEntry.video_url,
        ShortlistEntry.offered_slots,
        ShortlistEntry.response_status,
    ).where(
        ShortlistEntry.shortlist_id == campaign.shortlist_id,
        id_in(ShortlistEntry.candidate_id, candidate_ids),
    )
    return {row.candidate_id: row for row in db.session.execute(statement)}


def _row(org, campaign, template, job, candidate, entry, now, paused) -> dict[str, Any]:
    due = send_time(
        campaign.schedule_mode,
        now=now,
        recipient_tz=candidate.timezone,
        org_tz=org.timezone,
        send_at=campaign.send_at,
        local_time=campaign.local_time,
        window=campaign.send_window,
    )
    status = MessageStatus.QUEUED.value if due <= now else MessageStatus.SCHEDULED.value
    return {
        "id": new_id(),
        "org_id": campaign.org_id,
        "created_at": now,
        "status": PAUSED if paused else status,
        "send_after": due,
        "queued_at": now if status == MessageStatus.QUEUED.value and not paused else None,
        "is_transactional": False,
        "category": campaign.category,
        "kind": template.type if template else "invitation",
        "to_email": candidate.email,
        "to_name": candidate.full_name,
        "candidate_id": candidate.id,
        "campaign_id": campaign.id,
        "shortlist_entry_id": entry.id if entry else None,
        "template_id": campaign.template_id,
        "template_version_id": campaign.template_version_id,
        "context": recipient_context(org, candidate, entry, job, words=False),
        "links": [],
    }


@dataclass
class Progress:
    counts: dict[str, int]
    total: int
    done: int
    percent: int
    rate_per_minute: float
    eta_seconds: int | None
    expanded: int
    state: str = ""  # what to call the campaign now: "scheduled" while its first email waits
    next_send_at: datetime | None = None  # the earliest and latest send time still to come
    last_send_at: datetime | None = None


def progress(campaign: Campaign, now: datetime | None = None) -> Progress:
    now = now or utcnow()
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign.id)
        .group_by(Message.status)
    )
    counts = {status: n for status, n in rows}
    total = max(campaign.total_recipients, sum(counts.values()))
    done = sum(n for status, n in counts.items() if status not in (*UNSENT, PAUSED, "sending"))
    recent = (
        db.session.scalar(
            select(func.count()).where(
                Message.campaign_id == campaign.id, Message.sent_at >= now - timedelta(minutes=1)
            )
        )
        or 0
    )
    remaining = total - done
    eta = int(remaining / recent * 60) if recent and remaining else None
    percent = 100 if total == 0 else int(done * 100 / total)
    first, last = db.session.execute(
        select(func.min(Message.send_after), func.max(Message.send_after)).where(
            Message.campaign_id == campaign.id, Message.status.in_(UNSENT)
        )
    ).one()
    first, last = _aware(first), _aware(last)
    if remaining and last is not None and last > now:  # mail due later: not before then
        eta = max(eta or 0, int((last - now).total_seconds()))
    state = campaign.status
    waiting = not done and not counts.get("sending") and not counts.get("queued")
    if state == CampaignStatus.RUNNING.value and waiting and first is not None and first > now:
        state = CampaignStatus.SCHEDULED.value
    return Progress(
        counts, total, done, percent, float(recent), eta, campaign.expanded_count,
        state=state, next_send_at=first, last_send_at=last,
    )  # fmt: skip


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates come back without the column type: naive UTC on SQLite."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def refresh_status(campaign: Campaign) -> bool:
    """Mark a running campaign completed when nothing is left to send; True if it changed."""
    if campaign.status not in (CampaignStatus.RUNNING.value,):
        return False
    unsent = db.session.scalar(
        select(func.count()).where(
            Message.campaign_id == campaign.id, Message.status.in_((*UNSENT, PAUSED, "sending"))
        )
    )
    if unsent or campaign.expanded_count < len(campaign.candidate_ids):
        return False
    campaign.status = CampaignStatus.COMPLETED.value
    campaign.completed_at = utcnow()
    from webapp.services.notify.webhooks import emit

    counts = progress(campaign).counts
    emit(campaign.org_id, "campaign.completed", {"campaign_id": str(campaign.id), "counts": counts})
    db.session.flush()
    return True


def _audit(campaign: Campaign, action: str, actor_user_id, actor_label: str, **details) -> None:
    audit.record(
        campaign.org_id,
        action,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        target_type="campaign",
        target_id=campaign.id,
        details=details,
    )


def pause(campaign: Campaign, *, actor_user_id=None, actor_label: str = "") -> bool:
    if campaign.status not in ACTIVE:
        return False
    db.session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id, Message.status.in_(UNSENT))
        .values(status=PAUSED)
    )
    campaign.notes = campaign.status  # where to go back to on resume
    campaign.status = CampaignStatus.PAUSED.value
    _audit(campaign, "campaign.pause", actor_user_id, actor_label)
    db.session.flush()
    return True


def resume(campaign: Campaign, *, actor_user_id=None, actor_label: str = "") -> bool:
    if campaign.status != CampaignStatus.PAUSED.value:
        return False
    db.session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id, Message.status == PAUSED)
        .values(status=MessageStatus.SCHEDULED.value)
    )
    expanding = campaign.expanded_count < len(campaign.candidate_ids)
    campaign.status = CampaignStatus.EXPANDING.value if expanding else CampaignStatus.RUNNING.value
    _audit(campaign, "campaign.resume", actor_user_id, actor_label)
    db.session.flush()
    if expanding:
        from webapp.after_commit import after_commit

        after_commit(queues.enqueue_expand_campaign, campaign.id)
    return True


def delete_draft(campaign: Campaign, *, actor_user_id=None, actor_label: str = "") -> bool:
    """Delete a campaign that was never confirmed (it has no messages); False otherwise."""
    if campaign.status != CampaignStatus.DRAFT.value:
        return False
    _audit(campaign, "campaign.delete_draft", actor_user_id, actor_label, name=campaign.name)
    db.session.delete(campaign)
    db.session.flush()
    return True


def cancel(campaign: Campaign, *, actor_user_id=None, actor_label: str = "") -> int:
    """Cancel every unsent message, and the reminders of candidates it never reached;
    returns how many campaign messages were canceled."""
    if campaign.status in (CampaignStatus.COMPLETED.value, CampaignStatus.CANCELED.value):
        return 0
    result = db.session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id, Message.status.in_((*UNSENT, PAUSED)))
        .values(status=MessageStatus.CANCELED.value)
    )
    campaign.status = CampaignStatus.CANCELED.value
    campaign.canceled_at = utcnow()
    reminders.cancel_for_uninvited(campaign.id)  # who was never invited is not reminded
    _audit(campaign, "campaign.cancel", actor_user_id, actor_label, canceled=result.rowcount)
    db.session.flush()
    return result.rowcount


def resend_failed(campaign: Campaign, *, actor_user_id=None, actor_label: str = "") -> int:
    """Send the failed messages again (same rows, so still one message per candidate)."""
    now = utcnow()
    result = db.session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id, Message.status == MessageStatus.FAILED.value)
        .values(status=MessageStatus.SCHEDULED.value, send_after=now, attempts=0, failed_at=None)
    )
    if result.rowcount and campaign.status == CampaignStatus.COMPLETED.value:
        campaign.status = CampaignStatus.RUNNING.value
        campaign.completed_at = None
    _audit(campaign, "campaign.resend_failed", actor_user_id, actor_label, count=result.rowcount)
    db.session.flush()
    return result.rowcount


def recipients(campaign: Campaign, *, status: str = "", page: int = 1):
    from webapp.services.audience.candidates import paginate

    statement = select(Message).where(Message.campaign_id == campaign.id)
    if status:
        statement = statement.where(Message.status == status)
    return paginate(statement.order_by(Message.to_email), page)
