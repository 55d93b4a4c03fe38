"""Claiming due rows, the dispatcher and the sweeper (DESIGN.md "The outbox"; Q1, Q2, Q4).

- ``claim(ids)``: one conditional UPDATE moves ``queued`` rows to ``sending`` with a lease;
  on PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` first, so racing workers
  never wait on each other. Only the rows this call changed are returned and sent: a job that
  runs twice, or two workers given the same ids, send each message once.
- ``dispatch_due()``: ``scheduled`` and ``deferred`` rows whose ``send_after`` has passed become
  ``queued`` and are enqueued in batches. The database is the clock; Redis only transports.
- ``sweep()``: repairs what Redis or a dead worker lost.
  * ``queued`` rows older than ``requeue_after_seconds`` are enqueued again (Redis flushed);
    a duplicate job is harmless because claiming is conditional.
  * ``sending`` rows whose lease expired (worker killed) are resolved from the marks the worker
    left in Redis (``marks``): accepted by the server -> ``sent``; refused, deferred or never
    handed to SMTP -> ``queued`` again. Only the message that was on the wire when the worker
    died (at most one per SMTP connection) is ambiguous: transactional mail is sent again with
    the same Message-ID (at least once), bulk mail goes to ``unknown`` for a person to decide
    (at most once). docs/sending.md states the guarantee.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import redis
from sqlalchemy import select, update

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import Message, MessageStatus, ShortlistEntry
from webapp.services import events
from webapp.services.sending import marks

logger = logging.getLogger(__name__)
DISPATCH_CHUNK = 2000


def claim(ids: Iterable[uuid.UUID], *, lease_seconds: int, now: datetime) -> list[uuid.UUID]:
    """Move the ``queued`` rows among ``ids`` to ``sending``; return those this call took."""
    ids = list(ids)
    if not ids:
        return []
    lockable = (
        select(Message.id)
        .where(Message.id.in_(ids), Message.status == MessageStatus.QUEUED.value)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Message)
        .where(Message.id.in_(lockable.scalar_subquery()), Message.status == "queued")
        .values(
            status=MessageStatus.SENDING.value,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Message.attempts + 1,
        )
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return list(db.session.scalars(statement))


def release(ids: list[uuid.UUID], now: datetime) -> None:
    """Claimed rows that never reached SMTP (the job stopped early): back to ``queued``."""
    if ids:
        db.session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.status == MessageStatus.SENDING.value)
            .values(
                status=MessageStatus.QUEUED.value,
                queued_at=now,
                lease_expires_at=None,
                attempts=Message.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )


def mark_invited(entry_ids: list[uuid.UUID]) -> None:
    """A shortlist entry reads "invited" once its invitation went out, not before (a suppressed
    or failed invitation leaves it pending)."""
    if entry_ids:
        db.session.execute(
            update(ShortlistEntry)
            .where(ShortlistEntry.id.in_(entry_ids), ShortlistEntry.response_status == "pending")
            .values(response_status="invited")
            .execution_options(synchronize_session=False)
        )


def renew_lease(ids: list[uuid.UUID], lease_seconds: int, now: datetime) -> None:
    if ids:
        db.session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.status == MessageStatus.SENDING.value)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )


def due_ids(now: datetime, limit: int) -> list[tuple[uuid.UUID, bool]]:
    """Lock and move due scheduled/deferred rows to ``queued``; returns (id, transactional)."""
    lockable = (
        select(Message.id)
        .where(
            Message.status.in_((MessageStatus.SCHEDULED.value, MessageStatus.DEFERRED.value)),
            Message.send_after <= now,
        )
        .order_by(Message.send_after)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Message)
        .where(
            Message.id.in_(lockable.scalar_subquery()),
            Message.status.in_((MessageStatus.SCHEDULED.value, MessageStatus.DEFERRED.value)),
        )
        .values(status=MessageStatus.QUEUED.value, queued_at=now)
        .returning(Message.id, Message.is_transactional)
        .execution_options(synchronize_session=False)
    )
    return [(row[0], row[1]) for row in db.session.execute(statement)]


def stale_queued(now: datetime, older_than: float, limit: int) -> list[tuple[uuid.UUID, bool]]:
    """Queued rows nobody picked up for a while (their job was lost); their clock restarts."""
    cutoff = now - timedelta(seconds=older_than)
    statement = (
        update(Message)
        .where(
            Message.id.in_(
                select(Message.id)
                .where(Message.status == MessageStatus.QUEUED.value, Message.queued_at < cutoff)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            ),
            Message.status == MessageStatus.QUEUED.value,
        )
        .values(queued_at=now)
        .returning(Message.id, Message.is_transactional)
        .execution_options(synchronize_session=False)
    )
    return [(row[0], row[1]) for row in db.session.execute(statement)]


def expired_leases(conn: redis.Redis, now: datetime, limit: int, max_attempts: int = 5) -> dict:
    """Resolve ``sending`` rows whose lease expired; returns the ids by what became of them.

    A transactional message that has used its attempts fails instead of being requeued, so a
    message that kills every worker that takes it cannot loop forever.
    """
    rows = db.session.execute(
        select(Message.id, Message.org_id, Message.is_transactional, Message.attempts)
        .where(Message.status == MessageStatus.SENDING.value, Message.lease_expires_at < now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    fate: dict[str, list] = {"sent": [], "requeued": [], "unknown": [], "failed": []}
    if not rows:
        return fate
    for row, mark in zip(rows, marks.read(conn, [row.id for row in rows]), strict=True):
        fate[_fate(row, mark, max_attempts)].append(row)
    _record_accepted(conn, fate["sent"], now)
    _set_status(fate["requeued"], MessageStatus.QUEUED.value, now, "worker lost; requeued")
    _set_status(fate["failed"], MessageStatus.FAILED.value, now, "worker lost on every attempt")
    _set_status(
        fate["unknown"],
        MessageStatus.UNKNOWN.value,
        now,
        "worker lost while sending; the server may have accepted it (not resent automatically)",
    )
    marks.forget(conn, [row.id for row in rows])
    return fate


def _fate(row, mark: marks.Mark, max_attempts: int) -> str:
    if mark.accepted:
        return "sent"
    if mark.claimed or mark.reply_code is not None:  # never sent, or the server refused it
        return "requeued"
    if not row.is_transactional:
        return "unknown"  # it was on the wire: at most once
    return "failed" if row.attempts >= max_attempts else "requeued"  # at least once


def _record_accepted(conn: redis.Redis, rows: list, now: datetime) -> None:
    """The server accepted these before their worker died: record them as sent."""
    if not rows:
        return
    db.session.execute(
        update(Message)
        .where(Message.id.in_([row.id for row in rows]), Message.status == "sending")
        .values(status=MessageStatus.SENT.value, sent_at=now, lease_expires_at=None, last_error="")
        .execution_options(synchronize_session=False)
    )
    mark_invited(
        db.session.scalars(
            select(Message.shortlist_entry_id).where(
                Message.id.in_([row.id for row in rows]),
                Message.category == "invitations",
                Message.shortlist_entry_id.is_not(None),
            )
        ).all()
    )
    pending = [
        events.make_event(org_id=row.org_id, message_id=row.id, type="sent", source="smtp", data={})
        for row in rows
    ]
    after_commit(events.push_events, conn, pending)


def _set_status(rows: list, status: str, now: datetime, note: str) -> None:
    if not rows:
        return
    ids = [row.id for row in rows]
    values = {"status": status, "lease_expires_at": None, "last_error": note}
    if status == MessageStatus.QUEUED.value:
        values["queued_at"] = now
    if status == MessageStatus.FAILED.value:
        values["failed_at"] = now
    db.session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.status == MessageStatus.SENDING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
