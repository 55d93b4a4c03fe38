"""The funnel sent → delivered → opened → clicked, from summed rollup counts.

Opens and clicks count each message once (``*_unique``), "human" without machine events
(privacy proxies, link scanners) and "total" with them. Each step gives its share of sent and
of the step before it; a rate with nothing to divide by is ``None`` (shown as a dash).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import StatRollup
from webapp.services.stats import metrics as m


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    total: int
    human: int
    of_sent: float | None
    of_sent_human: float | None
    of_previous: float | None
    of_previous_human: float | None


@dataclass
class Funnel:
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, metric: str) -> int:
        return self.counts.get(metric, 0)

    @property
    def steps(self) -> list[Step]:
        sent, delivered = self[m.SENT], self[m.DELIVERED]
        rows = [
            ("sent", "Sent", sent, sent),
            ("delivered", "Delivered", delivered, delivered),
            ("opened", "Opened", self[m.OPENED_UNIQUE], self[m.OPENED_UNIQUE_HUMAN]),
            ("clicked", "Clicked", self[m.CLICKED_UNIQUE], self[m.CLICKED_UNIQUE_HUMAN]),
        ]
        steps, prev_total, prev_human = [], sent, sent
        for key, label, total, human in rows:
            steps.append(
                Step(
                    key,
                    label,
                    total,
                    human,
                    rate(total, sent),
                    rate(human, sent),
                    rate(total, prev_total) if key != "sent" else None,
                    rate(human, prev_human) if key != "sent" else None,
                )
            )
            prev_total, prev_human = total, human
        return steps

    @property
    def problems(self) -> list[tuple[str, str, int, float | None]]:
        """(metric, label, count, share of sent) for what went wrong."""
        sent = self[m.SENT]
        rows = [
            (m.BOUNCED_HARD, "Hard bounces"),
            (m.BOUNCED_SOFT, "Soft bounces"),
            (m.COMPLAINED, "Complaints"),
            (m.UNSUBSCRIBED, "Unsubscribes"),
            (m.FAILED, "Failed"),
        ]
        return [(key, label, self[key], rate(self[key], sent)) for key, label in rows]


def change(current: int, previous: int) -> float | None:
    """Relative change against the previous period (None when it had nothing)."""
    return (current - previous) / previous if previous else None


def funnel_for(
    org_id: uuid.UUID,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    campaign_id: uuid.UUID | None = None,
) -> Funnel:
    """Sum the rollups of the organization in ``[start, end)``, optionally of one campaign."""
    statement = (
        select(StatRollup.metric, func.sum(StatRollup.count))
        .where(StatRollup.org_id == org_id)
        .group_by(StatRollup.metric)
    )
    if start is not None:
        statement = statement.where(StatRollup.hour >= start)
    if end is not None:
        statement = statement.where(StatRollup.hour < end)
    if campaign_id is not None:
        statement = statement.where(StatRollup.campaign_id == campaign_id)
    return Funnel({metric: int(total or 0) for metric, total in db.session.execute(statement)})
