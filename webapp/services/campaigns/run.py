"""A confirmed campaign at work: progress, pause, resume, cancel, resend to failed (the rows
themselves are written by ``fanout``).

Pausing sets every unsent message of the campaign to the status ``paused`` (a value of the
status column that no dispatcher or worker picks up: claiming needs ``queued``, dispatching
needs ``scheduled``/``deferred``); resuming sets them back to ``scheduled`` with their own
``send_after`` untouched, so each recipient keeps their local time. Canceling marks them
``canceled``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    utcnow,
)
from webapp.services import audit, queues
from webapp.services.interviews import reminders

logger = logging.getLogger(__name__)

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
