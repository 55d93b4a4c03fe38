"""Incoming-mail jobs. Names are API (queued jobs refer to them): keep them.

- ``process_inbound(inbound_id)``: ``herald inbound`` enqueues one per stored mail; the job
  claims and processes every mail waiting (that one included) in batches, so a burst of
  bounces costs a few transactions, and a job whose mail another job already took ends at
  once. Safe to run twice: a processed row is left alone and its events carry fixed ids.
- ``sweep_inbound()``: hands back rows of jobs that died, and starts processing when stored
  mail waits with no job (Redis lost it, or was down when the mail was stored).
- ``poll_mailboxes()``: fetch new mail from the IMAP mailboxes organizations configured.
- ``purge_inbound()``: delete processed reports (not replies) after 90 days.
"""

from __future__ import annotations

import logging
from collections import Counter

from webapp.redis_client import get_redis
from webapp.services.inbound import claiming, processing
from webapp.services.queues import enqueue_inbound

logger = logging.getLogger(__name__)
SWEEP_AFTER_SECONDS = 60
MAX_BATCHES = 20  # per job: a long backlog is shared with the next job


def process_inbound(inbound_id: str | None = None) -> dict[str, int]:
    kinds: Counter = Counter()
    for _ in range(MAX_BATCHES):
        ids = claiming.claim_due()
        if not ids:
            break
        kinds.update(processing.process(ids, get_redis()))
    if kinds:
        logger.info("incoming mail processed: %s", dict(kinds))
    return dict(kinds)


def sweep_inbound() -> int:
    released = claiming.release_stale()
    if released or claiming.waiting_since(SWEEP_AFTER_SECONDS):
        enqueue_inbound()
        logger.info("incoming mail waiting (%s handed back): processing enqueued", released)
    return released


def poll_mailboxes() -> int:
    from webapp.services.inbound import imap

    fetched = imap.poll_all()
    if fetched:
        enqueue_inbound(fetched[0])  # one job takes them all
    return len(fetched)


def purge_inbound() -> int:
    from webapp.models import utcnow
    from webapp.services.inbound import history

    purged = history.purge_reports(utcnow())
    if purged:
        logger.info("purged %s old incoming reports", purged)
    return purged
