"""Which stored mail a processing job takes: a conditional UPDATE from ``received`` to
``processing`` (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so jobs running side by side
each get their own rows, and a burst of bounces is processed in batches rather than one job,
one transaction per mail. A job that dies leaves its rows ``processing``; after
``LEASE`` the sweeper hands them back (``release_stale``). A row whose processing failed is
``received`` again but keeps its ``claimed_at``, so it is retried after ``RETRY_AFTER``, not
in a tight loop."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update

from webapp.extensions import db
from webapp.models import InboundMail, utcnow

BATCH = 500
LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(seconds=60)  # a row whose processing failed waits this long


def claim_due(limit: int = BATCH) -> list[uuid.UUID]:
    """Claim up to ``limit`` received rows, oldest first (commits)."""
    retry_before = utcnow() - RETRY_AFTER
    candidates = (
        select(InboundMail.id)
        .where(
            InboundMail.status == "received",
            or_(InboundMail.claimed_at.is_(None), InboundMail.claimed_at < retry_before),
        )
        .order_by(InboundMail.created_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.commit()
        return []
    claimed = list(
        db.session.scalars(
            update(InboundMail)
            .where(InboundMail.id.in_(ids), InboundMail.status == "received")
            .values(status="processing", claimed_at=utcnow())
            .returning(InboundMail.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return claimed


def release_stale(now=None) -> int:
    """Rows a dead job claimed go back to ``received``."""
    now = now or utcnow()
    result = db.session.execute(
        update(InboundMail)
        .where(InboundMail.status == "processing", InboundMail.claimed_at < now - LEASE)
        .values(status="received", claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def waiting_since(seconds: float) -> bool:
    """Is any row still ``received`` after ``seconds``? (nobody enqueued it, or Redis lost it)"""
    cutoff = utcnow() - timedelta(seconds=seconds)
    found = db.session.scalar(
        select(InboundMail.id)
        .where(InboundMail.status == "received", InboundMail.created_at < cutoff)
        .limit(1)
    )
    db.session.commit()
    return found is not None
