"""Periodic jobs, declared as data, and the scheduler loop that keeps them running.

``PERIODIC_JOBS`` is the whole schedule. ``run_scheduler(app)`` (``herald scheduler``) runs
:class:`SchedulerLoop`, which never trusts Redis to remember anything:

- **Leadership.** Any number of schedulers may run; the one holding the Redis lease
  (``jobs.leadership``) does the work, the others are hot standbys that take over within
  ``HERALD_SCHEDULER_LEASE_SECONDS`` of the leader's death.
- **The schedule is asserted on every tick**, not registered once: rq-scheduler's set is
  compared with ``PERIODIC_JOBS`` and whatever a flush removed is scheduled again.
- **Redis outages are ridden out.** A connection error is logged once per outage and retried
  with backoff; the loop never exits on it. When Redis answers again (or this process has just
  become leader, or Redis lost its data) the sweeper runs at once, in this process, and every
  ``queued`` row is enqueued again, so what was accepted meanwhile goes out within seconds.
- **Health.** Each tick writes a heartbeat; the leader checks every minute for mail stuck
  longer than ``HERALD_STUCK_ALERT_SECONDS`` and tells each affected organization's admins
  (once an hour).

rq-scheduler enqueues the slow jobs (its ``enqueue_jobs`` is called from the loop, so its
resolution is the tick); the short jobs (``dispatch_due`` and ``drain_events`` every 2 s) go
through :class:`FastLoop`, which enqueues them on time and only when the previous run is no
longer waiting in the queue.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import redis
from flask import Flask
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from jobs.leadership import Lease, node_name
from webapp.services.queues import PERIODIC
from webapp.services.sending import scheduler_status

logger = logging.getLogger(__name__)
FAST_LOOP_MAX_INTERVAL = 5  # jobs at or under this many seconds run from the fast loop
TICK_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 5.0
STUCK_CHECK_SECONDS = 60
STUCK_ALERT_EVERY_SECONDS = 3600  # per organization


@dataclass(frozen=True)
class PeriodicJob:
    id: str  # stable: the scheduler reconciles by id
    func: str  # dotted path of the job function
    interval: int  # seconds
    queue: str = PERIODIC
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
    PeriodicJob("inbound.sweep_inbound", "jobs.inbound.sweep_inbound", 60),
    PeriodicJob("inbound.poll_mailboxes", "jobs.inbound.poll_mailboxes", 60),
    PeriodicJob("inbound.purge_inbound", "jobs.inbound.purge_inbound", 86400),
    PeriodicJob(
        "maintenance.purge_idempotency_records", "jobs.maintenance.purge_idempotency_records", 3600
    ),
    PeriodicJob("maintenance.purge_sent_content", "jobs.maintenance.purge_sent_content", 3600),
)


def periodic_jobs(settings) -> tuple[PeriodicJob, ...]:
    """The schedule with the intervals the settings may shorten (the sweeper's)."""
    return tuple(
        replace(job, interval=settings.sweep_interval_seconds) if job.id == "sending.sweep" else job
        for job in PERIODIC_JOBS
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
    reconcile_jobs(scheduler, jobs)


def ensure_present(scheduler, jobs: list[PeriodicJob]) -> list[str]:
    """Schedule again every declared job that rq-scheduler no longer holds (one ZRANGE)."""
    held = {
        job_id.decode() if isinstance(job_id, bytes) else job_id
        for job_id in scheduler.connection.zrange(scheduler.scheduled_jobs_key, 0, -1)
    }
    missing = [job for job in jobs if rq_id(job) not in held]
    if missing:
        reconcile_jobs(scheduler, missing)
    return [job.id for job in missing]


def reconcile_jobs(scheduler, jobs: list[PeriodicJob]) -> None:
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


class SchedulerLoop:
    def __init__(self, app: Flask, conn: redis.Redis, jobs: list[PeriodicJob]):
        from rq_scheduler import Scheduler

        settings = app.config["HERALD"]
        self.app = app
        self.conn = conn
        self.settings = settings
        self.node = node_name()
        self.lease = Lease(conn, self.node, settings.scheduler_lease_seconds)
        self.slow = [job for job in jobs if job.interval > FAST_LOOP_MAX_INTERVAL]
        self.fast = FastLoop(conn, [job for job in jobs if job.interval <= FAST_LOOP_MAX_INTERVAL])
        self.scheduler = Scheduler(connection=conn, interval=1)
        self.leading = False
        self.outage_since: float | None = None
        self.next_stuck_check = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        logger.info(
            "scheduler %s: %s periodic jobs, %s in the fast loop",
            self.node,
            len(self.slow),
            len(self.fast.jobs),
        )
        backoff = TICK_SECONDS
        try:
            while not self.stop.is_set():
                try:
                    self.tick(time.time())
                    self._redis_back()
                    backoff = TICK_SECONDS
                except redis.RedisError as exc:
                    self._redis_lost(exc)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                self.stop.wait(backoff)
        finally:
            self.lease.release()

    def tick(self, now: float) -> None:
        leading = self.lease.hold()
        scheduler_status.beat(self.conn, self.node, now)
        if leading and not self.leading:
            logger.info("scheduler %s leads: asserting the schedule and sweeping", self.node)
            reconcile(self.scheduler, self.slow)
            self.recover()
        elif leading:
            restored = ensure_present(self.scheduler, self.slow)
            if restored:
                logger.warning("periodic jobs missing from Redis, scheduled again: %s", restored)
                self.recover()  # Redis lost its data: whatever was queued lost its job too
        self.leading = leading
        if not leading:
            return
        self.scheduler.enqueue_jobs()
        self.fast.tick(now)
        if now >= self.next_stuck_check:
            self.next_stuck_check = now + min(
                STUCK_CHECK_SECONDS, self.settings.stuck_alert_seconds / 2
            )
            self.check_stuck()

    def recover(self) -> None:
        """Sweep now and enqueue every queued row again: Redis may have lost their jobs."""
        from jobs.sending import sweep

        with self.app.app_context():
            try:
                result = sweep(requeue_after=0)
            except redis.RedisError:
                raise
            except Exception:  # the database may be down too; the periodic sweep comes back
                logger.exception("recovery sweep failed")
                return
        if any(result.values()):
            logger.warning("recovery sweep: %s", result)

    def check_stuck(self) -> None:
        from webapp.extensions import db
        from webapp.services import audit
        from webapp.services.sending.guardrails import notify_admins

        threshold = self.settings.stuck_alert_seconds
        with self.app.app_context():
            try:
                stuck = scheduler_status.stuck_by_org(threshold)
            except Exception:
                logger.exception("could not count stuck mail")
                return
            for org_id, count in stuck.items():
                key = f"herald:alert:stuck:{org_id}"
                if not self.conn.set(key, "1", nx=True, ex=STUCK_ALERT_EVERY_SECONDS):
                    continue
                logger.error("%s messages of org %s stuck for over %ss", count, org_id, threshold)
                audit.record(
                    org_id,
                    "sending.stuck",
                    actor_label="scheduler",
                    details={"messages": count, "waiting_over_seconds": threshold},
                )
                notify_admins(
                    org_id,
                    "Mail is stuck",
                    f"{count} messages have waited more than {threshold // 60} minutes to be "
                    "sent. Check the queue health page: workers, the scheduler and Redis.",
                )
            db.session.commit()

    def _redis_lost(self, exc: Exception) -> None:
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            logger.error("scheduler cannot reach Redis (%s); retrying until it answers", exc)
        self.leading = False  # whoever leads once Redis is back re-asserts everything

    def _redis_back(self) -> None:
        if self.outage_since is not None:
            logger.warning("Redis answers again after %.0f s", time.monotonic() - self.outage_since)
            self.outage_since = None


def run_scheduler(app: Flask) -> None:
    conn = redis.Redis.from_url(
        app.config["HERALD_REDIS_URL"], socket_timeout=5, socket_connect_timeout=5
    )
    with app.app_context():
        jobs = active_jobs(periodic_jobs(app.config["HERALD"]))
    loop = SchedulerLoop(app, conn, jobs)
    signal.signal(signal.SIGTERM, lambda *_: loop.stop.set())
    try:
        loop.run()
    except KeyboardInterrupt:
        loop.stop.set()
