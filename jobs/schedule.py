"""Periodic jobs, declared as data and reconciled with rq-scheduler at start.

``PERIODIC_JOBS`` is the whole schedule. ``run_scheduler(app)`` (``herald scheduler``, one per
deployment) removes scheduled jobs whose id is no longer listed, (re)schedules every listed job
with its stable id, and runs the scheduler loop. A job whose module does not import is skipped
with a warning, so the scheduler never crashes on a missing feature.

rq-scheduler wakes up once per its ``interval`` and enqueues what is due, so its resolution
is about that interval; it runs here with a 1 s interval and the short jobs (``dispatch_due``
and ``drain_events`` every 2 s) go through a small loop in the same process instead, which
enqueues them on time and only when the previous run is no longer waiting in the queue.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Flask
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from jobs.queues import DEFAULT

logger = logging.getLogger(__name__)
FAST_LOOP_MAX_INTERVAL = 5  # jobs at or under this many seconds run from the fast loop


@dataclass(frozen=True)
class PeriodicJob:
    id: str  # stable: the scheduler reconciles by id
    func: str  # dotted path of the job function
    interval: int  # seconds
    queue: str = DEFAULT
    timeout: int = 300


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("sending.dispatch_due", "jobs.sending.dispatch_due", 2),
    PeriodicJob("sending.sweep", "jobs.sending.sweep", 30),
    PeriodicJob("tracking.drain_events", "jobs.tracking.drain_events", 2),
    PeriodicJob("webhooks.deliver_due", "jobs.webhooks.deliver_due", 10),
    PeriodicJob("guardrails.check_sending_health", "jobs.guardrails.check_sending_health", 300),
    PeriodicJob("campaigns.resume_stalled", "jobs.campaigns.resume_stalled", 60),
    PeriodicJob("digests.send_due_digests", "jobs.digests.send_due_digests", 300),
    PeriodicJob("reminders.schedule_due", "jobs.reminders.schedule_due", 60),
    PeriodicJob("responses.send_daily_summaries", "jobs.responses.send_daily_summaries", 3600),
    PeriodicJob(
        "maintenance.purge_idempotency_records", "jobs.maintenance.purge_idempotency_records", 3600
    ),
)


def rq_id(job: PeriodicJob, prefix: str = "periodic") -> str:
    """RQ job ids allow letters, digits, '_' and '-' only."""
    return f"{prefix}-{job.id.replace('.', '-')}"


def importable(job: PeriodicJob) -> bool:
    module_name, _, attr = job.func.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        logger.warning("periodic job %s skipped: %s does not import (%s)", job.id, module_name, exc)
        return False
    if not callable(getattr(module, attr, None)):
        logger.warning("periodic job %s skipped: %s has no %s", job.id, module_name, attr)
        return False
    return True


def active_jobs(jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> list[PeriodicJob]:
    return [job for job in jobs if importable(job)]


def reconcile(scheduler, jobs: list[PeriodicJob]) -> None:
    """Make rq-scheduler hold exactly ``jobs`` (by id): cancel strays, (re)schedule the rest."""
    wanted = {rq_id(job) for job in jobs}
    for existing in scheduler.get_jobs():
        if existing.id.startswith("periodic-") and existing.id not in wanted:
            scheduler.cancel(existing)
    for job in jobs:
        scheduler.cancel(rq_id(job))
        scheduler.schedule(
            scheduled_time=datetime.now(UTC),
            func=job.func,
            interval=job.interval,
            repeat=None,
            id=rq_id(job),
            description=job.id,
            queue_name=job.queue,
            timeout=job.timeout,
            result_ttl=job.interval * 5,
        )


class FastLoop:
    """Enqueue short-interval jobs every few seconds, never piling up duplicates."""

    def __init__(self, conn: redis.Redis, jobs: list[PeriodicJob]):
        self.conn = conn
        self.jobs = jobs
        self.next_at = {job.id: 0.0 for job in jobs}
        self.stop = threading.Event()

    def tick(self, now: float) -> list[str]:
        enqueued = []
        for job in self.jobs:
            if now < self.next_at[job.id] or self._waiting(job):
                continue
            job_id = f"{rq_id(job, 'fast')}-{int(now * 1000)}"
            Queue(job.queue, connection=self.conn).enqueue(
                job.func,
                job_id=job_id,
                description=job.id,
                job_timeout=job.timeout,
                result_ttl=job.interval * 5,
                failure_ttl=3600,
            )
            self.conn.set(f"herald:fast:{job.id}", job_id, ex=600)
            self.next_at[job.id] = now + job.interval
            enqueued.append(job.id)
        return enqueued

    def _waiting(self, job: PeriodicJob) -> bool:
        last = self.conn.get(f"herald:fast:{job.id}")
        if last is None:
            return False
        try:
            status = Job.fetch(last.decode(), connection=self.conn).get_status()
        except NoSuchJobError:
            return False
        return status in (JobStatus.QUEUED, JobStatus.STARTED)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.tick(time.time())
            except redis.RedisError:
                logger.exception("fast loop could not reach Redis; retrying")
            self.stop.wait(0.5)


def run_scheduler(app: Flask) -> None:
    from rq_scheduler import Scheduler

    conn = redis.Redis.from_url(app.config["HERALD_REDIS_URL"])
    with app.app_context():
        jobs = active_jobs()
    slow = [job for job in jobs if job.interval > FAST_LOOP_MAX_INTERVAL]
    fast = FastLoop(conn, [job for job in jobs if job.interval <= FAST_LOOP_MAX_INTERVAL])
    scheduler = Scheduler(connection=conn, interval=1)
    reconcile(scheduler, slow)
    threading.Thread(target=fast.run, name="herald-fast-loop", daemon=True).start()
    logger.info("scheduler: %s periodic jobs, %s in the fast loop", len(slow), len(fast.jobs))
    try:
        scheduler.run()
    finally:
        fast.stop.set()
