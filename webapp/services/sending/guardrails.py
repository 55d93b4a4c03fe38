"""Deliverability guardrails (REQUIREMENTS P8): pause bulk sending before mailbox providers
start rejecting the organization's mail.

Over a trailing window (7 days, or since an admin last resumed) the complaint rate is
``complained / sent`` and the hard-bounce rate ``bounced_hard / sent``, both read from the
hourly ``StatRollup`` rows the event drain writes. A complaint rate at or above 0.3 % (Gmail's
and Yahoo's line) or a hard-bounce rate above the organization's ``bounce_rate_threshold``
sets ``Organization.bulk_paused_at``: the sending pipeline skips bulk mail while it is set,
and transactional mail still goes out. At 0.1 % the dashboard warns. Below ``MIN_SENT`` sent
messages the rates are too noisy to act on.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Membership, Organization, Role, StatRollup, User, utcnow
from webapp.services import audit
from webapp.services.sending import outbox

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=7)
COMPLAINT_PAUSE = 0.003
COMPLAINT_WARN = 0.001
MIN_SENT = 100
RESUMED_KEY = "guardrails_resumed_at"


def _window_start(org: Organization, now: datetime) -> datetime:
    """Seven days back, or the first full hour after an admin resumed (rollups are hourly,
    so the hour of the resume, which holds the mail that caused the pause, is left out)."""
    start = (now - WINDOW).replace(minute=0, second=0, microsecond=0)
    resumed = (org.settings or {}).get(RESUMED_KEY)
    if resumed:
        after = datetime.fromisoformat(resumed).replace(minute=0, second=0, microsecond=0)
        start = max(start, after + timedelta(hours=1))
    return start


def _counts(org_id: uuid.UUID, since: datetime) -> dict[str, int]:
    rows = db.session.execute(
        select(StatRollup.metric, func.sum(StatRollup.count))
        .where(
            StatRollup.org_id == org_id,
            StatRollup.hour >= since,
            StatRollup.metric.in_(("sent", "complained", "bounced_hard")),
        )
        .group_by(StatRollup.metric)
    )
    return {metric: int(total or 0) for metric, total in rows}


def sending_health(org_id: uuid.UUID, *, now: datetime | None = None) -> dict[str, Any]:
    """Rates and a level (ok, warn, paused) for the stats page and the domains page banner."""
    org = db.session.get(Organization, org_id)
    now = now or utcnow()
    counts = _counts(org_id, _window_start(org, now))
    sent = counts.get("sent", 0)
    complaint_rate = counts.get("complained", 0) / sent if sent else 0.0
    bounce_rate = counts.get("bounced_hard", 0) / sent if sent else 0.0
    enough = sent >= MIN_SENT
    level = "ok"
    if enough and (complaint_rate >= COMPLAINT_WARN or bounce_rate > org.bounce_rate_threshold / 2):
        level = "warn"
    if org.bulk_paused_at is not None:
        level = "paused"
    return {
        "level": level,
        "sent": sent,
        "complaints": counts.get("complained", 0),
        "hard_bounces": counts.get("bounced_hard", 0),
        "complaint_rate": complaint_rate,
        "bounce_rate": bounce_rate,
        "bounce_threshold": org.bounce_rate_threshold,
        "complaint_pause": COMPLAINT_PAUSE,
        "complaint_warn": COMPLAINT_WARN,
        "enough_volume": enough,
        "paused_at": org.bulk_paused_at,
        "paused_reason": org.bulk_paused_reason,
    }


def pause_reason(health: dict[str, Any]) -> str | None:
    if not health["enough_volume"]:
        return None
    if health["complaint_rate"] >= COMPLAINT_PAUSE:
        return (
            f"Spam complaints reached {health['complaint_rate']:.2%} of sent mail "
            f"({health['complaints']} of {health['sent']}); the limit is {COMPLAINT_PAUSE:.1%}."
        )
    if health["bounce_rate"] > health["bounce_threshold"]:
        return (
            f"Hard bounces reached {health['bounce_rate']:.2%} of sent mail "
            f"({health['hard_bounces']} of {health['sent']}); "
            f"the limit is {health['bounce_threshold']:.1%}."
        )
    return None


def check_org(org: Organization, *, now: datetime | None = None) -> str | None:
    """Pause the organization's bulk sending when a rate crossed its line. Flushes only."""
    if org.bulk_paused_at is not None:
        return None
    reason = pause_reason(sending_health(org.id, now=now))
    if reason is None:
        return None
    org.bulk_paused_at = now or utcnow()
    org.bulk_paused_reason = reason
    audit.record(org.id, "sending.auto_pause", actor_label="guardrails", details={"reason": reason})
    notify_admins(
        org.id,
        "Bulk sending is paused",
        f"Herald paused bulk sending for {org.name}. {reason}\n\n"
        "Transactional mail still goes out. Clean the audience (remove addresses that bounce "
        "or complain), then resume bulk sending on the Sending domains settings page.",
    )
    logger.warning("bulk sending paused for organization %s", org.id)
    return reason


def resume(org: Organization, *, actor_user_id: uuid.UUID | None, actor_label: str) -> None:
    """Lift a pause; the rates then count only from now, so old complaints do not re-pause."""
    now = utcnow()
    org.bulk_paused_at = None
    org.bulk_paused_reason = ""
    org.settings = {**(org.settings or {}), RESUMED_KEY: now.isoformat()}
    audit.record(org.id, "sending.resume", actor_user_id=actor_user_id, actor_label=actor_label)
    db.session.flush()


def check_all(*, now: datetime | None = None) -> int:
    """Check every organization with recent sends; returns how many were paused."""
    since = (now or utcnow()) - WINDOW
    org_ids = db.session.scalars(
        select(StatRollup.org_id)
        .where(StatRollup.metric == "sent", StatRollup.hour >= since)
        .distinct()
    ).all()
    paused = 0
    for org_id in org_ids:
        org = db.session.get(Organization, org_id)
        if org is not None and check_org(org, now=now):
            paused += 1
    return paused


def admin_emails(org_id: uuid.UUID) -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.org_id == org_id,
                Membership.role.in_((Role.OWNER.value, Role.ADMIN.value)),
                User.is_active_user.is_(True),
            )
            .order_by(User.email)
        )
    )


def notify_admins(org_id: uuid.UUID, subject: str, text: str) -> int:
    """Email every owner and admin (through the outbox, so it leaves after the commit), and
    post the alert to the organization's chat channel when it has one."""
    from webapp.services.notify import chat

    org = db.session.get(Organization, org_id)
    if org is not None:
        chat.post(org, f"[Herald] {subject}: {text.split(chr(10))[0]}")
    emails = admin_emails(org_id)
    for email in emails:
        outbox.create_message(
            org_id,
            to_email=email,
            raw_subject=f"[Herald] {subject}",
            raw_text=text,
            category="transactional",
            is_transactional=True,
            kind="notice",
        )
    return len(emails)
