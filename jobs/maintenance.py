"""Housekeeping jobs (periodic)."""

from __future__ import annotations

import logging

from webapp.extensions import db
from webapp.services.api import idempotency

logger = logging.getLogger(__name__)


def purge_idempotency_records() -> int:
    """Forget API idempotency keys past their retention (24 h); returns how many went."""
    removed = idempotency.purge_expired()
    db.session.commit()
    if removed:
        logger.info("purged %s expired idempotency records", removed)
    return removed
