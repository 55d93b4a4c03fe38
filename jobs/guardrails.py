"""Deliverability check job (periodic, e.g. every 10 minutes): pauses bulk sending of an
organization whose complaint or hard-bounce rate crossed its line (REQUIREMENTS P8)."""

from __future__ import annotations

import logging

from webapp.extensions import db
from webapp.services.sending import guardrails

logger = logging.getLogger(__name__)


def check_sending_health() -> int:
    """Returns how many organizations were paused by this run."""
    paused = guardrails.check_all()
    db.session.commit()
    if paused:
        logger.warning("paused bulk sending for %s organization(s)", paused)
    return paused
