"""Digest job: combine held notifications into one email per recipient at their hour."""

from __future__ import annotations

import logging

from webapp.extensions import db
from webapp.services.notify import digests

logger = logging.getLogger(__name__)


def send_due_digests() -> int:
    """Run every few minutes (scheduler); safe to run twice in an hour (idempotency key)."""
    count = digests.send_due_digests()
    db.session.commit()
    if count:
        logger.info("digests: %s sent", count)
    return count
