"""Metrics for the hourly ``StatRollup`` rows (names listed in the package docstring)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import StatRollup

NIL = uuid.UUID(int=0)
SIMPLE = {
    "sent": "sent",
    "delivered": "delivered",
    "deferred": "deferred",
    "failed": "failed",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
    "replied": "replied",
}


class MessageState:
    """What the drain knows about one message's engagement before and during a batch."""

    __slots__ = ("any_click", "any_open", "human_click", "human_open")

    def __init__(self, *, any_open: bool, human_open: bool, any_click: bool, human_click: bool):
        self.any_open, self.human_open = any_open, human_open
        self.any_click, self.human_click = any_click, human_click


def metrics_for(event: dict[str, Any], state: MessageState) -> list[str]:
    """The metrics one fresh event adds to (and the state it leaves behind)."""
    kind = event["type"]
    if kind in SIMPLE:
        return [SIMPLE[kind]]
    if kind == "bounced":
        soft = (event.get("data") or {}).get("bounce_type") == "soft"
        return ["bounced_soft" if soft else "bounced_hard"]
    if kind not in ("opened", "clicked"):
        return []
    human = not event.get("is_machine")
    name = "opened" if kind == "opened" else "clicked"
    seen_any, seen_human = (
        (state.any_open, state.human_open)
        if kind == "opened"
        else (state.any_click, state.human_click)
    )
    metrics = [name, f"{name}_human" if human else f"{name}_machine"]
    if not seen_any:
        metrics.append(f"{name}_unique")
    if human and not seen_human:
        metrics.append(f"{name}_unique_human")
    if kind == "opened":
        state.any_open, state.human_open = True, state.human_open or human
    else:
        state.any_click, state.human_click = True, state.human_click or human
    return metrics


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def add(counter: Counter, *, org_id, hour, campaign_id, template_version_id, metrics) -> None:
    for metric in metrics:
        counter[(org_id, hour, campaign_id or NIL, template_version_id or NIL, metric)] += 1


def upsert(counter: Counter) -> None:
    """Add the counts to the rollup rows (insert, or add on conflict), in key order."""
    rows = [
        {
            "org_id": key[0],
            "hour": key[1],
            "campaign_id": key[2],
            "template_version_id": key[3],
            "metric": key[4],
            "count": value,
        }
        for key, value in sorted(counter.items(), key=lambda item: tuple(map(str, item[0])))
    ]
    if not rows:
        return
    keys = ["org_id", "hour", "campaign_id", "template_version_id", "metric"]
    statement = insert_adding(StatRollup.__table__, keys, ["count"])
    db.session.execute(statement, rows)


def insert_adding(table, keys: list[str], fields, source=None):
    """An INSERT into a rollup table that adds ``fields`` to the row with the same ``keys``
    when there is one (``INSERT … ON CONFLICT DO UPDATE``); rows from ``source`` (a SELECT of
    ``keys`` and ``fields``, in that order) or from the parameters it is executed with."""
    statement = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert(table)
    if source is not None:
        statement = statement.from_select([*keys, *fields], source)
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in fields},
    )
