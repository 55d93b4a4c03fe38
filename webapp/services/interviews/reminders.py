"""Interview reminders at T-24 h and T-2 h (``Organization.reminder_offsets_hours``).

Reminders are ordinary scheduled Message rows tied to the shortlist entry
(``shortlist_entry_id``, kind ``reminder_24h``/``reminder_2h``, category ``reminders``). They
are rebuilt whenever the interview time changes (old unsent ones canceled, new ones created),
canceled when the interview is canceled or the candidate declines, and not created for a
candidate who opted out of reminders or is suppressed. Wording uses the candidate's zone.

Only a candidate who knows about the interview is reminded of it: their invitation for that
entry was sent (or they answered it). An interview time set before the invitation goes out
gets its reminders from the safety-net job (``jobs.reminders.schedule_due``) within a minute
of the invitation being sent; canceling the invitation campaign before it reached a candidate
cancels that candidate's reminders, and the sending policy checks the same rule once more
right before SMTP (``eligibility_refusals``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update

from webapp.extensions import db
from webapp.models import (
    Candidate,
    EmailTemplate,
    Job,
    Message,
    MessageStatus,
    Organization,
    Shortlist,
    ShortlistEntry,
    utcnow,
)
from webapp.services.campaigns.context import recipient_context
from webapp.services.consent import preferences
from webapp.services.sending.outbox import create_message

logger = logging.getLogger(__name__)

REMINDER_KINDS = ("reminder_24h", "reminder_2h")
UNSENT = (MessageStatus.SCHEDULED.value, MessageStatus.QUEUED.value, MessageStatus.DEFERRED.value)
DELIVERED = (MessageStatus.SENT.value, MessageStatus.DELIVERED.value)
ANSWERED = ("accepted", "reschedule_requested")


def kind_for(hours: float) -> str:
    return "reminder_24h" if hours >= 12 else "reminder_2h"


def cancel_for_entry(entry: ShortlistEntry) -> int:
    return cancel_unsent(entry, REMINDER_KINDS)


def cancel_unsent(entry: ShortlistEntry, kinds: tuple[str, ...]) -> int:
    """Cancel the entry's messages of these kinds that have not gone out yet."""
    result = db.session.execute(
        update(Message)
        .where(
            Message.shortlist_entry_id == entry.id,
            Message.kind.in_(kinds),
            Message.status.in_(UNSENT),
        )
        .values(status=MessageStatus.CANCELED.value)
    )
    return result.rowcount


def invitation_sent_clause():
    """SQL: the entry (``ShortlistEntry``) has an invitation that reached the mail server."""
    return exists().where(
        Message.shortlist_entry_id == ShortlistEntry.id,
        or_(Message.kind == "invitation", Message.category == "invitations"),
        Message.status.in_(DELIVERED),
    )


def knows_of_interview_clause():
    """SQL: the candidate was told about the interview (invitation sent, or they answered)."""
    return or_(ShortlistEntry.response_status.in_(ANSWERED), invitation_sent_clause())


def knows_of_interview(entry: ShortlistEntry) -> bool:
    if entry.response_status in ANSWERED:
        return True
    statement = select(invitation_sent_clause()).where(ShortlistEntry.id == entry.id)
    return bool(db.session.scalar(statement))


def skip_reason(org: Organization, entry: ShortlistEntry, candidate: Candidate) -> str | None:
    if entry.interview_at is None:
        return "no interview time"
    if entry.is_canceled:
        return "interview canceled"
    if entry.response_status == "declined":
        return "candidate declined"
    if candidate.erased_at is not None:
        return "candidate erased"
    if not knows_of_interview(entry):
        return "no invitation was sent for this interview"
    refusal = preferences.refusal(org.id, candidate.email, "reminders", is_transactional=False)
    return f"recipient preference: {refusal}" if refusal else None


def schedule_for_entry(
    org: Organization, entry: ShortlistEntry, now: datetime | None = None
) -> list[Message]:
    """(Re)build the entry's reminders; returns the messages created (maybe none)."""
    now = now or utcnow()
    cancel_for_entry(entry)
    candidate = db.session.get(Candidate, entry.candidate_id)
    reason = skip_reason(org, entry, candidate)
    if reason:
        logger.info("reminders for entry %s skipped: %s", entry.id, reason)
        return []
    shortlist = db.session.get(Shortlist, entry.shortlist_id)
    job = db.session.get(Job, shortlist.job_id) if shortlist else None
    context = recipient_context(org, candidate, entry, job)
    created = []
    for hours in sorted(set(org.reminder_offsets_hours or [24, 2]), reverse=True):
        due = entry.interview_at - timedelta(hours=float(hours))
        if due <= now:
            continue
        created.append(_create(org, entry, candidate, kind_for(float(hours)), due, context))
    return created


def _create(org, entry, candidate, kind, due, context) -> Message:
    template = db.session.scalars(
        select(EmailTemplate).where(
            EmailTemplate.org_id == org.id,
            EmailTemplate.type == kind,
            EmailTemplate.archived_at.is_(None),
        )
    ).first()
    return create_message(
        org.id,
        to_email=candidate.email,
        to_name=candidate.full_name,
        template_id=template.id if template else None,
        template_version_id=template.current_version_id if template else None,
        context=context,
        category="reminders",
        is_transactional=False,
        kind=kind,
        send_after=due,
        candidate_id=candidate.id,
        shortlist_entry_id=entry.id,
    )


def on_entry_change(org: Organization, entry: ShortlistEntry, change: str) -> None:
    """Call after an entry's interview was edited (``shortlists.update_entry``'s result)."""
    if change == "canceled":
        cancel_for_entry(entry)
    elif change in ("set", "moved"):
        schedule_for_entry(org, entry)


def cancel_for_uninvited(campaign_id) -> int:
    """After an invitation campaign was canceled: cancel the reminders of every entry it was
    inviting that never got an invitation (from it or any other campaign)."""
    entry_ids = select(Message.shortlist_entry_id).where(
        Message.campaign_id == campaign_id,
        Message.status == MessageStatus.CANCELED.value,
        Message.shortlist_entry_id.is_not(None),
    )
    uninvited = select(ShortlistEntry.id).where(
        ShortlistEntry.id.in_(entry_ids), ~knows_of_interview_clause()
    )
    result = db.session.execute(
        update(Message)
        .where(
            Message.shortlist_entry_id.in_(uninvited),
            Message.kind.in_(REMINDER_KINDS),
            Message.status.in_(UNSENT),
        )
        .values(status=MessageStatus.CANCELED.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def eligibility_refusals(messages: list[Message]) -> dict:
    """For the sending policy: reminder message id -> why it may no longer go out."""
    entry_ids = {
        m.shortlist_entry_id for m in messages if m.kind in REMINDER_KINDS and m.shortlist_entry_id
    }
    if not entry_ids:
        return {}
    rows = db.session.execute(
        select(
            ShortlistEntry.id,
            ShortlistEntry.is_canceled,
            ShortlistEntry.response_status,
            knows_of_interview_clause().label("knows"),
        ).where(ShortlistEntry.id.in_(entry_ids))
    )
    reasons = {}
    for row in rows:
        if row.is_canceled:
            reasons[row.id] = "interview canceled"
        elif row.response_status == "declined":
            reasons[row.id] = "candidate declined"
        elif not row.knows:
            reasons[row.id] = "no invitation was sent for this interview"
    return {
        m.id: reasons[m.shortlist_entry_id]
        for m in messages
        if m.kind in REMINDER_KINDS and m.shortlist_entry_id in reasons
    }
