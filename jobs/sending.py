"""Sending jobs. Names are API (queued jobs refer to them): keep them.

- ``send_message(message_id)``: one transactional message, enqueued right after its commit.
- ``send_batch(message_ids)``: many messages over one SMTP connection (bulk, or a backlog).
- ``dispatch_due()``: due ``scheduled``/``deferred`` rows become ``queued`` and are enqueued.
- ``sweep()``: re-enqueue what Redis lost and resolve rows whose worker died.

Every job is safe to run twice: claiming is a conditional UPDATE, so a second run finds
nothing to claim. They run inside an app context (``jobs.worker``).
"""

from __future__ import annotations

import logging
import uuid

from flask import current_app

from webapp.extensions import db
from webapp.models import utcnow
from webapp.redis_client import get_redis
from webapp.services.queues import enqueue_messages
from webapp.services.sending import claiming
from webapp.services.sending.pipeline import send_messages

logger = logging.getLogger(__name__)


def _ids(values) -> list[uuid.UUID]:
    return [value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in values]


def send_message(message_id: str) -> dict:
    return send_batch([message_id])


def send_batch(message_ids: list[str]) -> dict:
    settings = current_app.config["HERALD"]
    report = send_messages(_ids(message_ids), settings, get_redis())
    logger.info("batch of %s: claimed %s, %s", len(message_ids), report.claimed, report.counts)
    return {"claimed": report.claimed, **report.counts}


def dispatch_due(limit: int = claiming.DISPATCH_CHUNK) -> int:
    """Queue every due row, in chunks, and enqueue them after each chunk's commit."""
    settings = current_app.config["HERALD"]
    total = 0
    while True:
        due = claiming.due_ids(utcnow(), limit)
        db.session.commit()
        if due:
            enqueue_messages(due, settings.batch_size)
            total += len(due)
        if len(due) < limit:
            break
    if total:
        logger.info("dispatched %s due messages", total)
    return total


def sweep(limit: int = 5000, requeue_after: float | None = None) -> dict:
    """Resolve rows whose worker died and re-enqueue ``queued`` rows whose job Redis lost.

    ``requeue_after`` (seconds; default the setting) is 0 when the scheduler knows Redis lost
    its data (a flush, a restart, an outage): then every ``queued`` row is enqueued again at
    once; a duplicate job is harmless because claiming is conditional.
    """
    settings = current_app.config["HERALD"]
    conn = get_redis()
    now = utcnow()
    fate = claiming.expired_leases(conn, now, limit, settings.retry_max_attempts)
    db.session.commit()
    enqueue_messages(
        [(row.id, row.is_transactional) for row in fate["requeued"]], settings.batch_size
    )
    older_than = settings.requeue_after_seconds if requeue_after is None else requeue_after
    stale = 0
    while True:  # in chunks: after a flush, a whole campaign may be waiting
        chunk = claiming.stale_queued(now, older_than, limit)
        db.session.commit()
        enqueue_messages(chunk, settings.batch_size)
        stale += len(chunk)
        if len(chunk) < limit:
            break
    result = {f"lease_{name}": len(rows) for name, rows in fate.items()}
    result["requeued"] = stale
    if any(result.values()):
        logger.warning("sweep repaired rows: %s", result)
    return result
