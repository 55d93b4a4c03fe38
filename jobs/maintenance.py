"""Housekeeping jobs (periodic)."""

from __future__ import annotations

import logging
from datetime import timedelta

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


def purge_sent_content() -> int:
    """Drop the bodies of sent emails past ``HERALD_SENT_CONTENT_RETENTION_DAYS``; the
    metadata (subject, attachment names, template version) stays. Returns how many went."""
    from flask import current_app

    from webapp.models import utcnow
    from webapp.services.attachments.storage import purge_unused_files
    from webapp.services.sending import sent_record

    settings = current_app.config["HERALD"]
    days = settings.sent_content_retention_days
    removed = sent_record.purge_expired(utcnow(), days)
    if removed:
        logger.info("dropped the content of %s sent emails past %s days", removed, days)
    keep = timedelta(days=max(0, days), hours=settings.retry_max_age_hours)
    files = purge_unused_files(utcnow(), keep)  # attachment bytes of API sends
    if files:
        logger.info("deleted %s attachment files nothing needs any more", files)
    return removed
