"""Policy at send time, checked right before SMTP (REQUIREMENTS C6; issue 4, item 6).

The rules, in order, for a batch of messages (a few queries for the whole batch):

1. Suppression list, by (organization, lower-cased address). Bulk and category mail is stopped
   by every reason. Transactional mail (a reply to something the recipient did: an interview
   confirmation, a password link) is stopped by ``hard_bounce``, ``complaint`` and ``manual``
   but not by ``unsubscribed`` -- unsubscribing leaves marketing, not the process one is in.
2. Preferences (non-transactional only): ``unsubscribed_all``, or the category opted out,
   suppresses. A category the recipient gets as a digest is not sent on its own: the message
   becomes ``suppressed`` with ``last_error`` = "held for digest", and the digest job
   (``webapp.services.notify.digests``) collects such rows.
3. The organization's bulk sending is paused (guardrails): bulk mail waits 10 minutes and is
   looked at again; nothing is lost.
4. Frequency cap (non-transactional): at most N per recipient per rolling 24 h (organization's
   ``frequency_cap``, else the setting); the next one waits until the oldest leaves the window.
5. Quiet hours (non-transactional) in the recipient's time zone (the candidate's, else the
   organization's): deferred to the first minute after quiet hours end.

Before all of these, an interview reminder whose interview was canceled or declined, or whose
candidate was never sent the invitation, is suppressed (``reminders.eligibility_refusals``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Candidate, Message, MessageStatus, Organization, Preference, Suppression
from webapp.services.interviews.reminders import eligibility_refusals

HELD_FOR_DIGEST = "held for digest"
TRANSACTIONAL_BLOCKING = ("hard_bounce", "complaint", "manual")
PAUSED_RECHECK = timedelta(minutes=10)
COUNTED_STATUSES = (
    MessageStatus.SENT.value,
    MessageStatus.DELIVERED.value,
    MessageStatus.BOUNCED.value,
    MessageStatus.COMPLAINED.value,
    MessageStatus.SENDING.value,
)


@dataclass(frozen=True)
class Decision:
    action: str  # send | suppress | defer
    reason: str = ""
    until: datetime | None = None


SEND = Decision("send")


@dataclass
class BatchFacts:
    suppressed: dict[tuple[uuid.UUID, str], str]
    preferences: dict[tuple[uuid.UUID, str], Preference]
    sent_today: dict[tuple[uuid.UUID, str], tuple[int, datetime | None]]
    timezones: dict[uuid.UUID, str]
    reminder_refusals: dict[uuid.UUID, str] = field(default_factory=dict)


def load_facts(messages: list[Message], now: datetime) -> BatchFacts:
    org_ids = {m.org_id for m in messages}
    emails = {m.to_email for m in messages}
    rows = db.session.execute(
        select(Suppression.org_id, Suppression.email, Suppression.reason).where(
            Suppression.org_id.in_(org_ids), Suppression.email.in_(emails)
        )
    )
    suppressed = {(r.org_id, r.email): r.reason for r in rows}
    prefs = db.session.scalars(
        select(Preference).where(Preference.org_id.in_(org_ids), Preference.email.in_(emails))
    )
    preferences = {(p.org_id, p.email.lower()): p for p in prefs}
    bulk_emails = {m.to_email for m in messages if not m.is_transactional}
    return BatchFacts(
        suppressed,
        preferences,
        _sent_today(org_ids, bulk_emails, now),
        _tz(messages),
        eligibility_refusals(messages),
    )


def _sent_today(org_ids, emails, now: datetime) -> dict:
    if not emails:
        return {}
    rows = db.session.execute(
        select(Message.org_id, Message.to_email, func.count(), func.min(Message.sent_at))
        .where(
            Message.org_id.in_(org_ids),
            Message.to_email.in_(emails),
            Message.is_transactional.is_(False),
            Message.status.in_(COUNTED_STATUSES),
            Message.sent_at >= now - timedelta(days=1),
        )
        .group_by(Message.org_id, Message.to_email)
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _tz(messages: list[Message]) -> dict[uuid.UUID, str]:
    ids = {m.candidate_id for m in messages if m.candidate_id and not m.is_transactional}
    if not ids:
        return {}
    rows = db.session.execute(select(Candidate.id, Candidate.timezone).where(Candidate.id.in_(ids)))
    return {r.id: r.timezone for r in rows}


def decide(
    message: Message, org: Organization, facts: BatchFacts, now: datetime, default_cap: int
) -> Decision:
    refused = facts.reminder_refusals.get(message.id)
    if refused:
        return Decision("suppress", refused)
    key = (message.org_id, message.to_email)
    reason = facts.suppressed.get(key)
    if reason and (not message.is_transactional or reason in TRANSACTIONAL_BLOCKING):
        return Decision("suppress", f"suppressed: {reason}")
    if message.is_transactional:
        return SEND
    pref = facts.preferences.get(key)
    if pref is not None:
        if pref.unsubscribed_all or message.category in (pref.opted_out_categories or []):
            return Decision("suppress", "recipient opted out of this category")
        if message.category in (pref.digest_categories or []) and pref.digest_frequency != "off":
            return Decision("suppress", HELD_FOR_DIGEST)
    if org.bulk_paused_at is not None:
        return Decision(
            "defer", f"bulk sending paused: {org.bulk_paused_reason}", now + PAUSED_RECHECK
        )
    capped = _frequency(key, org, facts, now, default_cap)
    if capped is not None:
        return capped
    return _quiet_hours(message, org, facts, now)


def _frequency(key, org: Organization, facts: BatchFacts, now: datetime, default_cap: int):
    cap = org.frequency_cap if org.frequency_cap is not None else default_cap
    count, oldest = facts.sent_today.get(key, (0, None))
    if cap <= 0 or count < cap:
        facts.sent_today[key] = (count + 1, oldest or now)  # later messages in this batch count
        return None
    until = (oldest or now) + timedelta(days=1, minutes=1)
    return Decision("defer", f"frequency cap of {cap} a day reached", max(until, now))


def _quiet_hours(message: Message, org: Organization, facts: BatchFacts, now: datetime) -> Decision:
    start, end = org.quiet_hours_start, org.quiet_hours_end
    if start is None or end is None or start == end:
        return SEND
    tz = _zone(facts.timezones.get(message.candidate_id) if message.candidate_id else None, org)
    local = now.astimezone(tz)
    quiet = start <= local.hour < end if start < end else (local.hour >= start or local.hour < end)
    if not quiet:
        return SEND
    resume = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    return Decision(
        "defer", "quiet hours in the recipient's time zone", resume.astimezone(now.tzinfo)
    )


def _zone(name: str | None, org: Organization) -> ZoneInfo:
    for candidate in (name, org.timezone, "UTC"):
        try:
            return ZoneInfo(candidate) if candidate else ZoneInfo("UTC")
        except (KeyError, ValueError):
            continue
    return ZoneInfo("UTC")
