"""The overview of a date range: funnel, problems, charts and the previous period beside it."""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import StatRollup
from webapp.services.stats import metrics as m
from webapp.services.stats.funnel import Funnel, change, funnel_for
from webapp.services.stats.ranges import DateRange, buckets

SERIES_LABELS = {
    m.SENT: "Sent",
    m.DELIVERED: "Delivered",
    m.OPENED_UNIQUE_HUMAN: "Opened (human)",
    m.OPENED_UNIQUE: "Opened (total)",
    m.CLICKED_UNIQUE_HUMAN: "Clicked (human)",
    m.CLICKED_UNIQUE: "Clicked (total)",
    m.BOUNCED_HARD: "Hard bounces",
    m.BOUNCED_SOFT: "Soft bounces",
    m.COMPLAINED: "Complaints",
    m.UNSUBSCRIBED: "Unsubscribes",
    m.FAILED: "Failed",
}


@dataclass
class Overview:
    period: DateRange
    previous_period: DateRange
    funnel: Funnel
    previous: Funnel
    series: dict  # {"granularity", "labels", "engagement": [...], "problems": [...]}

    def change(self, metric: str) -> float | None:
        return change(self.funnel[metric], self.previous[metric])

    @property
    def is_empty(self) -> bool:
        return not any(self.funnel.counts.values()) and not any(self.previous.counts.values())


def time_series(org_id: uuid.UUID, period: DateRange, metrics: tuple[str, ...]) -> dict:
    """Per bucket (hour, or local day) sums of ``metrics``: {"labels": [...], metric: [...]}."""
    slots = buckets(period)
    starts = [start for start, _ in slots]
    values = {metric: [0] * len(slots) for metric in metrics}
    statement = (
        select(StatRollup.hour, StatRollup.metric, func.sum(StatRollup.count))
        .where(
            StatRollup.org_id == org_id,
            StatRollup.hour >= period.start_utc,
            StatRollup.hour < period.end_utc,
            StatRollup.metric.in_(metrics),
        )
        .group_by(StatRollup.hour, StatRollup.metric)
    )
    for hour, metric, total in db.session.execute(statement):
        index = bisect.bisect_right(starts, hour) - 1
        if index >= 0:
            values[metric][index] += int(total or 0)
    return {"labels": [label for _, label in slots], **values}


def _datasets(raw: dict, metrics: tuple[str, ...]) -> list[dict]:
    return [{"key": key, "label": SERIES_LABELS[key], "data": raw[key]} for key in metrics]


def overview_for(org_id: uuid.UUID, period: DateRange) -> Overview:
    previous_period = period.previous()
    raw = time_series(org_id, period, m.CHART + m.CHART_PROBLEMS)
    series = {
        "granularity": "hour" if period.is_hourly else "day",
        "labels": raw["labels"],
        "engagement": _datasets(raw, m.CHART),
        "problems": _datasets(raw, m.CHART_PROBLEMS),
    }
    return Overview(
        period=period,
        previous_period=previous_period,
        funnel=funnel_for(org_id, period.start_utc, period.end_utc),
        previous=funnel_for(org_id, previous_period.start_utc, previous_period.end_utc),
        series=series,
    )
