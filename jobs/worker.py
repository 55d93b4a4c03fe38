"""``run_worker(app)``: an RQ worker whose jobs run inside an app context.

The default worker is RQ's ``SimpleWorker``: it runs jobs in its own process instead of forking
a child per job. A fork costs ~15 ms here, and a child starts with no database or SMTP
connection; running in-process keeps the SQLAlchemy pool warm and makes a batch job's cost
almost all actual sending. The price is isolation: a job that leaks memory or crashes the
interpreter takes the worker with it -- jobs here are small, take ids, and are bounded by
``job_timeout``; run several workers (and let a supervisor restart them) for resilience.
``HERALD_WORKER_FORK=1`` switches to the forking worker; the engine is then disposed in each
child so no connection is shared across processes.
"""

from __future__ import annotations

import logging
import os

import redis
from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue

from jobs.queues import ALL_QUEUES

logger = logging.getLogger(__name__)


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
    forking = app.config["HERALD"].worker_fork
    if forking:
        _dispose_engine_in_child(app)
    worker_class = _app_context_worker(Worker if forking else SimpleWorker, app)
    names = queues or list(ALL_QUEUES)
    worker = worker_class([Queue(name, connection=conn) for name in names], connection=conn)
    logger.info("worker %s listening on %s", worker.name, ", ".join(names))
    return worker.work(
        burst=burst, with_scheduler=False, logging_level=app.config["HERALD"].log_level
    )
