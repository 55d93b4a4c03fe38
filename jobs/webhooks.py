"""Outgoing webhook delivery job (periodic, and kicked right after an event is emitted)."""

from __future__ import annotations

import logging

from webapp.services.notify import webhooks as outgoing_webhooks

logger = logging.getLogger(__name__)


def deliver_due(limit: int = 100) -> int:
    """Post the deliveries whose time has come; returns how many were attempted."""
    attempted = outgoing_webhooks.deliver_due(limit=limit)
    if attempted:
        logger.info("attempted %s webhook deliveries", attempted)
    return attempted
