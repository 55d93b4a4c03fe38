"""Queue health: RQ queues and workers, failed jobs, messages waiting, relay circuits.

RQ queues, workers and failed jobs belong to the deployment (every organization shares them);
message counts and relays are the organization's own. Every Redis read goes through
:func:`redis_snapshot`, which turns an unreachable Redis into an ``error`` for the page.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Message, Relay, utcnow
from webapp.services.queues import ALL_QUEUES
from webapp.services.sending import circuit
from webapp.services.sending.relays import DEFAULT_RELAY_KEY

FAILED_JOBS_SHOWN = 20


def queue_depths(conn: redis.Redis) -> list[dict]:
    rows = []
    for name in ALL_QUEUES:
        queue = Queue(name, connection=conn)
        rows.append(
            {
                "name": name,
                "queued": queue.count,
                "running": StartedJobRegistry(queue=queue).count,
                "scheduled": ScheduledJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count,
            }
        )
    return rows


def workers(conn: redis.Redis) -> list[dict]:
    rows = []
    for worker in Worker.all(connection=conn):
        job_id = worker.get_current_job_id()
        job = Job.fetch(job_id, connection=conn) if job_id else None
        rows.append(
            {
                "name": worker.name,
                "hostname": worker.hostname or "",
                "pid": worker.pid,
                "state": str(worker.get_state()),
                "queues": ", ".join(worker.queue_names()),
                "current_job": job.description if job else "",
                "last_heartbeat": worker.last_heartbeat,
            }
        )
    return sorted(rows, key=lambda row: (row["hostname"], row["pid"] or 0))


def _short_error(job: Job) -> str:
    """The last line of the traceback (the exception and its message)."""
    result = job.latest_result()
    text = ((result.exc_string if result is not None else "") or "").strip().splitlines()
    return text[-1][:300] if text else ""


def failed_jobs(conn: redis.Redis, limit: int = FAILED_JOBS_SHOWN) -> list[dict]:
    rows = []
    for name in ALL_QUEUES:
        registry = FailedJobRegistry(queue=Queue(name, connection=conn))
        ids = registry.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=conn):
            if job is None:
                continue
            rows.append(
                {
                    "id": job.id,
                    "queue": name,
                    "function": job.func_name,
                    "description": job.description or "",
                    "ended_at": job.ended_at,
                    "error": _short_error(job),
                }
            )
    return sorted(rows, key=lambda row: row["ended_at"] or datetime.min, reverse=True)[:limit]


def requeue_failed(conn: redis.Redis, queue_name: str, job_id: str) -> bool:
    """Put a failed job back on its queue; False when it is not (or no longer) failed."""
    if queue_name not in ALL_QUEUES:
        return False
    registry = FailedJobRegistry(queue=Queue(queue_name, connection=conn))
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True


def redis_snapshot(conn: redis.Redis) -> dict:
    try:
        return {
            "queues": queue_depths(conn),
            "workers": workers(conn),
            "failed_jobs": failed_jobs(conn),
            "error": None,
        }
    except redis.RedisError as exc:
        return {"queues": [], "workers": [], "failed_jobs": [], "error": type(exc).__name__}


def waiting_messages(org_id: uuid.UUID, *, stuck_after: float, now: datetime | None = None) -> dict:
    """Messages that should be on their way: due but not picked up, queued for too long."""
    now = now or utcnow()
    due = db.session.execute(
        select(func.count(), func.min(Message.send_after)).where(
            Message.org_id == org_id,
            Message.status.in_(("scheduled", "deferred")),
            Message.send_after <= now,
        )
    ).one()
    stuck = db.session.scalar(
        select(func.count()).where(
            Message.org_id == org_id,
            Message.status == "queued",
            Message.send_after <= now - timedelta(seconds=stuck_after),
        )
    )
    oldest = due[1]
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return {"due": int(due[0] or 0), "oldest_due": oldest, "queued_long": int(stuck or 0)}


def scheduled_ahead(org_id: uuid.UUID, hours: int = 24, now: datetime | None = None) -> list:
    """(hour start UTC, count) of messages scheduled in each of the next ``hours`` hours."""
    now = now or utcnow()
    first_hour = now.replace(minute=0, second=0, microsecond=0)
    counts = [0] * hours
    statement = select(Message.send_after).where(
        Message.org_id == org_id,
        Message.status.in_(("scheduled", "deferred")),
        Message.send_after >= now,  # what is already due is counted as waiting, not ahead
        Message.send_after < first_hour + timedelta(hours=hours),
    )
    for (at,) in db.session.execute(statement.execution_options(yield_per=2000)):
        counts[int((at - first_hour).total_seconds() // 3600)] += 1
    return [(first_hour + timedelta(hours=index), count) for index, count in enumerate(counts)]


def relay_circuits(conn: redis.Redis, org_id: uuid.UUID) -> list[dict]:
    relays = db.session.execute(
        select(Relay.id, Relay.name, Relay.is_enabled)
        .where(Relay.org_id == org_id)
        .order_by(Relay.priority, Relay.created_at)
    ).all()
    entries = [(str(rid), name, enabled) for rid, name, enabled in relays]
    if not any(enabled for _, _, enabled in entries):
        entries.append((DEFAULT_RELAY_KEY, "Default relay (server settings)", True))
    rows = []
    for key, name, enabled in entries:
        try:
            state = circuit.state(conn, key) if enabled else "disabled"
            failures = int(conn.hget(f"herald:circuit:{key}", "failures") or 0)
        except redis.RedisError:
            state, failures = "unknown", 0
        rows.append({"name": name, "state": state, "failures": failures, "enabled": enabled})
    return rows
