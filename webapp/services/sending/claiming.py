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
    handed to SMTP -> ``queued`` again. The sweeper takes a never-handed claim back in Redis
    before it requeues the row, and changes only rows whose lease is still expired when it
    writes, so a slow worker that is still alive never sends what the sweeper requeued.
    Only the message that was on the wire when the worker died (at most one per SMTP
    connection) is ambiguous: transactional mail is sent again with the same Message-ID (at
    least once), bulk mail goes to ``unknown`` for a person to decide (at most once).
    docs/sending.md states the guarantee.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import groupby
from typing import NamedTuple

import redis
from sqlalchemy import or_, select, update

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import Message, MessageStatus, ShortlistEntry
from webapp.services import events
from webapp.services.sending import marks
from webapp.services.tracking import domain_rollups

logger = logging.getLogger(__name__)
DISPATCH_CHUNK = 2000


class Claim(NamedTuple):
    """One claim of one message: the row's ``attempts`` after the claim names it."""

    id: uuid.UUID
    attempt: int

    @property
    def mark(self) -> str:
        return marks.key(self.id, self.attempt)


def _held(claims: Iterable[Claim]):
    """WHERE clause: the rows still in ``sending`` under these very claims."""
    claims = sorted(claims, key=lambda c: c.attempt)
    by_attempt = [
        (Message.attempts == attempt) & Message.id.in_([c.id for c in group])
        for attempt, group in groupby(claims, key=lambda c: c.attempt)
    ]
    return (Message.status == MessageStatus.SENDING.value) & or_(*by_attempt)


def claim(ids: Iterable[uuid.UUID], *, lease_seconds: int, now: datetime) -> list[Claim]:
    """Move the ``queued`` rows among ``ids`` to ``sending``; return those this call took.

    The caller marks the claims in Redis before it commits (``marks.mark_claimed``)."""
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
        .returning(Message.id, Message.attempts)
        .execution_options(synchronize_session=False)
    )
    return [Claim(*row) for row in db.session.execute(statement)]


def release(claims: list[Claim], now: datetime) -> None:
    """Claimed rows that never reached SMTP (the job stopped early): back to ``queued``."""
    if claims:
        db.session.execute(
            update(Message)
            .where(_held(claims))
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


def renew_lease(claims: list[Claim], lease_seconds: int, now: datetime) -> set[uuid.UUID]:
    """Extend the lease of the rows still held under ``claims``; returns their ids (a row the
    sweeper took back after its lease expired is not among them)."""
    if not claims:
        return set()
    return set(
        db.session.scalars(
            update(Message)
            .where(_held(claims))
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
            .returning(Message.id)
            .execution_options(synchronize_session=False)
        )
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
    taken = marks.take(conn, [marks.key(row.id, row.attempts) for row in rows])
    for row, mark in zip(rows, taken, strict=True):
        fate[_fate(row, mark, max_attempts)].append(row)
    fate["sent"] = _record_accepted(conn, fate["sent"], now)
    notes = {
        "requeued": (MessageStatus.QUEUED, "worker lost; requeued"),
        "failed": (MessageStatus.FAILED, "worker lost on every attempt"),
        "unknown": (
            MessageStatus.UNKNOWN,
            "worker lost while sending; the server may have accepted it (not resent automatically)",
        ),
    }
    for name, (status, note) in notes.items():
        fate[name] = _set_status(fate[name], status.value, now, note)
    resolved = [row for rows_of in fate.values() for row in rows_of]
    marks.forget(conn, [marks.key(row.id, row.attempts) for row in resolved])
    return fate


def _fate(row, mark: marks.Mark, max_attempts: int) -> str:
    if mark.accepted:
        return "sent"
    if mark.claimed or mark.reply_code is not None:  # never sent, or the server refused it
        return "requeued"
    if not row.is_transactional:
        return "unknown"  # it was on the wire: at most once
    return "failed" if row.attempts >= max_attempts else "requeued"  # at least once


def _still_expired(rows: list, now: datetime):
    """The rows of ``rows`` still in ``sending`` on the same claim with the lease expired (a slow
    worker that renewed its lease in the meantime keeps its rows)."""
    claims = [Claim(row.id, row.attempts) for row in rows]
    return _held(claims) & (Message.lease_expires_at < now)


def _changed(rows: list, statement) -> list:
    ids = set(db.session.scalars(statement.returning(Message.id)))
    return [row for row in rows if row.id in ids]


def _record_accepted(conn: redis.Redis, rows: list, now: datetime) -> list:
    """The server accepted these before their worker died: record them as sent."""
    if not rows:
        return []
    rows = _changed(
        rows,
        update(Message)
        .where(_still_expired(rows, now))
        .values(status=MessageStatus.SENT.value, sent_at=now, lease_expires_at=None, last_error="")
        .execution_options(synchronize_session=False),
    )
    if not rows:
        return []
    domain_rollups.add_sent(row.id for row in rows)
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
    return rows


def _set_status(rows: list, status: str, now: datetime, note: str) -> list:
    if not rows:
        return []
    values = {"status": status, "lease_expires_at": None, "last_error": note}
    if status == MessageStatus.QUEUED.value:
        values["queued_at"] = now
    if status == MessageStatus.FAILED.value:
        values["failed_at"] = now
    return _changed(
        rows,
        update(Message)
        .where(_still_expired(rows, now))
        .values(**values)
        .execution_options(synchronize_session=False),
    )
