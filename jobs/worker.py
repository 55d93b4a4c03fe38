"""``run_worker(app)``: an RQ worker whose jobs run inside an app context.

The default worker is RQ's ``SimpleWorker``: it runs jobs in its own process instead of forking
a child per job. A fork costs ~15 ms here, and a child starts with no database or SMTP
connection; running in-process keeps the SQLAlchemy pool warm and makes a batch job's cost
almost all actual sending. The price is isolation: a job that leaks memory or crashes the
interpreter takes the worker with it -- jobs here are small, take ids, and are bounded by
``job_timeout``; run several workers (and let a supervisor restart them) for resilience.
``HERALD_WORKER_FORK=1`` switches to the forking worker; the engine is then disposed in each
child so no connection is shared across processes.

A worker outlives Redis: RQ itself retries a lost connection only while waiting for a job and
quits on one anywhere else (a heartbeat, a job's own Redis call, registering its death).
``run_worker`` then waits for Redis with backoff and starts a fresh RQ worker in the same
process, so an outage or a flush never needs a person to restart workers. RQ's own line per
job is logged at WARNING unless ``HERALD_LOG_LEVEL=DEBUG``: the jobs log what they did.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import redis
from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue

from webapp.services.queues import ALL_QUEUES

logger = logging.getLogger(__name__)
MAX_WAIT_SECONDS = 10.0


def _app_context_worker(base: type[Worker], app: Flask) -> type[Worker]:
    class AppWorker(base):  # type: ignore[misc, valid-type]
        def perform_job(self, job: Job, queue: Queue, *args, **kwargs) -> bool:
            logger.debug("job %s starting", job.id)
            with app.app_context():
                return super().perform_job(job, queue, *args, **kwargs)

    return AppWorker


def _dispose_engine_in_child(app: Flask) -> None:
    from webapp.extensions import db

    def dispose() -> None:
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's connections stay the parent's

    os.register_at_fork(after_in_child=dispose)


def run_worker(app: Flask, queues: list[str] | None = None, burst: bool = False) -> bool:
    # Its own connection without a socket timeout: the worker blocks on BLPOP for minutes.
    conn = redis.Redis.from_url(app.config["HERALD_REDIS_URL"])
    settings = app.config["HERALD"]
    if settings.worker_fork:
        _dispose_engine_in_child(app)
    worker_class = _app_context_worker(Worker if settings.worker_fork else SimpleWorker, app)
    names = queues or list(ALL_QUEUES)
    rq_level = "DEBUG" if settings.log_level.upper() == "DEBUG" else "WARNING"
    delay = 1.0
    while True:
        worker = worker_class([Queue(name, connection=conn) for name in names], connection=conn)
        logger.info("worker %s listening on %s", worker.name, ", ".join(names))
        started = time.monotonic()
        try:
            worked = worker.work(burst=burst, with_scheduler=False, logging_level=rq_level)
        except redis.RedisError as exc:
            logger.error("worker lost Redis (%s); starting again when it answers", exc)
            worked = False
        else:
            if burst or _stop_was_requested(worker):
                return worked
            logger.error("worker %s stopped unexpectedly; starting a new one", worker.name)
        if time.monotonic() - started > 60:
            delay = 1.0  # a new outage, not the same one
        if not _wait_for_redis(conn, delay):
            return worked
        delay = min(delay * 2, MAX_WAIT_SECONDS)


def _stop_was_requested(worker: Worker) -> bool:
    """SIGTERM or Ctrl-C reached the worker (RQ records when, busy or idle)."""
    return worker._stop_requested or getattr(worker, "_shutdown_requested_date", None) is not None


def _wait_for_redis(conn: redis.Redis, first_delay: float) -> bool:
    """Sleep with backoff until Redis answers; False when asked to stop meanwhile."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    delay = first_delay
    while not stopping.wait(delay):
        try:
            conn.ping()
            return True
        except redis.RedisError:
            delay = min(delay * 2, MAX_WAIT_SECONDS)
    return False
