"""What the scheduler processes publish about themselves, and how stuck the outbox is.

Every ``herald scheduler`` process writes a heartbeat (``HSET herald:scheduler:heartbeats
<node> <unix time>``) on each tick; the one that holds the lease ``herald:scheduler:leader``
(its node name as value, with a TTL) runs the periodic work. ``/readyz``, ``/metrics`` and the
queue health page read both, plus the count of messages that should have gone out a while ago
and did not (``stuck_messages``), which is the number an operator acts on.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import redis
from sqlalchemy import and_, func, select

from webapp.extensions import db
from webapp.models import Message, MessageStatus, utcnow

LEADER_KEY = "herald:scheduler:leader"
HEARTBEATS_KEY = "herald:scheduler:heartbeats"
HEARTBEAT_FORGET_SECONDS = 3600  # a node silent this long is dropped from the list


def beat(conn: redis.Redis, node: str, now: float) -> None:
    conn.hset(HEARTBEATS_KEY, node, f"{now:.3f}")


def scheduler_state(conn: redis.Redis, now: float | None = None) -> dict:
    """Leader, the age of its heartbeat (None when no scheduler is leading) and the standbys."""
    now = time.time() if now is None else now
    pipe = conn.pipeline(transaction=False)
    pipe.get(LEADER_KEY)
    pipe.hgetall(HEARTBEATS_KEY)
    leader, beats = pipe.execute()
    leader = leader.decode() if leader else None
    ages = {node.decode(): round(now - float(at), 1) for node, at in beats.items()}
    stale = [node for node, age in ages.items() if age > HEARTBEAT_FORGET_SECONDS]
    if stale:
        conn.hdel(HEARTBEATS_KEY, *stale)
    return {
        "leader": leader,
        "heartbeat_age_seconds": ages.get(leader) if leader else None,
        "schedulers": {node: age for node, age in ages.items() if node not in stale},
    }


WAITING = (MessageStatus.QUEUED.value, MessageStatus.SCHEDULED.value, MessageStatus.DEFERRED.value)


def stuck_filter(cutoff: datetime):
    """Rows that were due before ``cutoff`` and have not left: queued, scheduled or deferred.

    ``send_after`` is when a row became due (creation, schedule, retry or deferral set it); the
    sweeper and the dispatcher never move it, so re-enqueueing does not hide a stuck row.
    """
    return and_(Message.status.in_(WAITING), Message.send_after < cutoff)


def stuck_messages(older_than: float, now: datetime | None = None) -> dict:
    """How many messages are stuck (all organizations) and how long the oldest has waited."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=older_than)
    count, oldest = db.session.execute(
        select(func.count(), func.min(Message.send_after)).where(stuck_filter(cutoff))
    ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return {
        "count": int(count),
        "threshold_seconds": older_than,
        "oldest_seconds": round((now - oldest).total_seconds()) if oldest else None,
    }


def stuck_by_org(older_than: float, now: datetime | None = None) -> dict:
    """Organization id -> count of its stuck messages (only organizations that have some)."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=older_than)
    rows = db.session.execute(
        select(Message.org_id, func.count()).where(stuck_filter(cutoff)).group_by(Message.org_id)
    )
    return {org_id: int(count) for org_id, count in rows}
