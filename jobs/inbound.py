"""Incoming-mail jobs. Names are API (queued jobs refer to them): keep them.

- ``process_inbound(inbound_id)``: classify and apply one stored mail (safe to run twice: a
  processed row is left alone, and its events carry fixed ids).
- ``sweep_inbound()``: enqueue stored mail that no job has processed yet (Redis lost the job,
  or was down when ``herald inbound`` stored it), and retry failed attempts.
- ``poll_mailboxes()``: fetch new mail from the IMAP mailboxes organizations configured.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from jobs.queues import DEFAULT, get_queue
from webapp.extensions import db
from webapp.models import InboundMail, utcnow
from webapp.redis_client import get_redis
from webapp.services.inbound import processing

logger = logging.getLogger(__name__)
SWEEP_AFTER = timedelta(seconds=60)


def enqueue_process(ids: Iterable[uuid.UUID]) -> None:
    queue = get_queue(DEFAULT)
    for inbound_id in ids:
        queue.enqueue(
            "jobs.inbound.process_inbound",
            str(inbound_id),
            description="process_inbound",
            job_timeout=120,
            result_ttl=60,
        )


def process_inbound(inbound_id: str) -> str | None:
    kind = processing.process(uuid.UUID(inbound_id), get_redis())
    if kind:
        logger.info("incoming mail %s processed: %s", inbound_id, kind)
    return kind


def sweep_inbound(limit: int = 500) -> int:
    due = list(
        db.session.scalars(
            select(InboundMail.id)
            .where(
                InboundMail.status == "received",
                InboundMail.created_at < utcnow() - SWEEP_AFTER,
            )
            .order_by(InboundMail.created_at)
            .limit(limit)
        )
    )
    db.session.commit()
    enqueue_process(due)
    if due:
        logger.info("re-enqueued %s stored incoming mails", len(due))
    return len(due)


def poll_mailboxes() -> int:
    from webapp.services.inbound import imap

    fetched = imap.poll_all()
    enqueue_process(fetched)
    return len(fetched)
