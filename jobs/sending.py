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

from jobs.queues import enqueue_messages
from webapp.extensions import db
from webapp.models import utcnow
from webapp.redis_client import get_redis
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


def sweep(limit: int = 5000) -> dict:
    settings = current_app.config["HERALD"]
    conn = get_redis()
    now = utcnow()
    requeued, unknown = claiming.expired_leases(conn, now, limit, settings.retry_max_attempts)
    stale = claiming.stale_queued(now, settings.requeue_after_seconds, limit)
    db.session.commit()
    enqueue_messages(requeued + stale, settings.batch_size)
    result = {
        "lease_requeued": len(requeued),
        "lease_unknown": len(unknown),
        "requeued": len(stale),
    }
    if any(result.values()):
        logger.warning("sweep repaired rows: %s", result)
    return result
