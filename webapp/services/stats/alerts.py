"""The failure-rate warning shown beside the deliverability banner (REQUIREMENTS P8).

Complaint and hard-bounce rates are the guardrails' (``webapp.services.sending.guardrails``);
this adds the share of messages that failed outright (retry budget spent, permanent 5xx, policy
rejections) over the same trailing window, which usually means a relay or DNS problem rather
than a list problem.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.models import utcnow
from webapp.services.stats import metrics as m
from webapp.services.stats.funnel import funnel_for

WINDOW = timedelta(days=7)
FAILURE_WARN = 0.05
MIN_ATTEMPTED = 20  # below this the rate is noise


@dataclass(frozen=True)
class FailureAlert:
    failed: int
    attempted: int

    @property
    def rate(self) -> float:
        return self.failed / self.attempted


def failure_alert(org_id: uuid.UUID, now: datetime | None = None) -> FailureAlert | None:
    now = now or utcnow()
    funnel = funnel_for(org_id, now - WINDOW, now + timedelta(hours=1))
    failed = funnel[m.FAILED]
    attempted = funnel[m.SENT] + failed
    if attempted < MIN_ATTEMPTED or failed / attempted < FAILURE_WARN:
        return None
    return FailureAlert(failed, attempted)
