"""Event drain job: move tracking hits and delivery events from Redis into the database.

Runs periodically (every few seconds) inside an app context; safe to run twice at once (a
Redis lock lets one through) and after a crash (the processing list is written first).
"""

from __future__ import annotations

import logging

from webapp.redis_client import get_redis
from webapp.services.tracking.drain import drain

logger = logging.getLogger(__name__)


def drain_events(batch_size: int = 5000, max_batches: int = 20) -> int:
    """Write up to ``batch_size * max_batches`` events; returns how many were newly stored."""
    result = drain(get_redis(), batch_size=batch_size, max_batches=max_batches)
    if result.read:
        logger.info(
            "drained %s events in %s batches (%s new)", result.read, result.batches, result.stored
        )
    return result.stored
