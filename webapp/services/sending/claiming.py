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
  * ``sending`` rows whose lease expired (worker killed): transactional mail goes back to
    ``queued`` and is sent again with the same Message-ID (at least once). Bulk mail goes to
    ``unknown`` for a person to decide (at most once) -- unless Redis still holds the row's
    claim marker, which the worker deletes right before the SMTP transaction: then the
    message certainly never reached the server and is queued again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import redis
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Message, MessageStatus

logger = logging.getLogger(__name__)
CLAIMED_KEY = "herald:claimed"  # ids claimed but not yet handed to SMTP
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


def mark_claimed(conn: redis.Redis, ids: list[uuid.UUID]) -> None:
    """Remember in Redis which claimed rows have not been handed to SMTP yet (one SADD)."""
    if ids:
        conn.sadd(CLAIMED_KEY, *[str(message_id) for message_id in ids])


def unmark_claimed(conn: redis.Redis, ids: list[uuid.UUID]) -> None:
    """These rows are about to be handed to SMTP (or are done): a lost worker means unknown."""
    if ids:
        conn.srem(CLAIMED_KEY, *[str(message_id) for message_id in ids])


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


def expired_leases(
    conn: redis.Redis, now: datetime, limit: int, max_attempts: int = 5
) -> tuple[list, list]:
    """Resolve ``sending`` rows whose lease expired. Returns (requeued, marked unknown) ids.

    A transactional message that has used its attempts fails instead of being requeued, so a
    message that kills every worker that takes it cannot loop forever.
    """
    rows = db.session.execute(
        select(Message.id, Message.is_transactional, Message.attempts)
        .where(Message.status == MessageStatus.SENDING.value, Message.lease_expires_at < now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    requeue, unknown, spent = [], [], []
    if not rows:
        return requeue, unknown
    untouched = conn.smismember(CLAIMED_KEY, [str(row.id) for row in rows])
    for (message_id, transactional, attempts), fresh in zip(rows, untouched, strict=True):
        if transactional and attempts >= max_attempts:
            spent.append(message_id)
        elif transactional or fresh:
            requeue.append((message_id, transactional))
        else:
            unknown.append((message_id, transactional))
    unmark_claimed(conn, [row.id for row in rows])
    _set_status([i for i, _ in requeue], MessageStatus.QUEUED.value, now, "worker lost; requeued")
    _set_status(spent, MessageStatus.FAILED.value, now, "worker lost on every attempt")
    _set_status(
        [i for i, _ in unknown],
        MessageStatus.UNKNOWN.value,
        now,
        "worker lost while sending; the server may have accepted it (not resent automatically)",
    )
    return requeue, unknown


def _set_status(ids: list[uuid.UUID], status: str, now: datetime, note: str) -> None:
    if not ids:
        return
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
