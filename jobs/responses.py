"""Daily summaries of candidates' answers for the recruiters who chose them (hourly, idempotent:
a person gets at most one summary per 23 hours, see ``response_notices``)."""

from __future__ import annotations

import logging

from webapp.extensions import db
from webapp.services.interviews import response_notices

logger = logging.getLogger(__name__)


def send_daily_summaries() -> int:
    sent = response_notices.send_daily_summaries()
    db.session.commit()
    if sent:
        logger.info("responses: %s daily summaries queued", sent)
    return sent
