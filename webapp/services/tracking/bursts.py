"""Link-scanner bursts (P7): when a second distinct link of a message is clicked within
``BURST_SECONDS``, the click is a machine's (``link_burst``) — and so were the clicks of that
message just before it, which looked human when they arrived. This module moves those earlier
clicks to the machine side: in the batch being written (before anything counts them) and,
for clicks stored by an earlier batch, by correcting the event rows, the message's counters
and first human click, and the rollups (``StatRollup`` and ``LinkRollup``).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import Message, MessageEvent
from webapp.services.tracking import link_rollups, rollups
from webapp.services.tracking.classify import BURST_SECONDS

REASON = "link_burst"


def _burst_starts(events: list[dict[str, Any]]) -> dict[str, datetime]:
    """message id -> start of the window before its earliest burst click."""
    starts: dict[str, datetime] = {}
    for event in events:
        if event["type"] == "clicked" and event.get("machine_reason") == REASON:
            at = datetime.fromisoformat(event["occurred_at"]) - timedelta(seconds=BURST_SECONDS)
            starts[event["message_id"]] = min(starts.get(event["message_id"], at), at)
    return starts


def mark_in_batch(events: list[dict[str, Any]]) -> None:
    """Earlier human clicks of a bursting message, in the same batch, become machine."""
    starts = _burst_starts(events)
    for event in events:
        start = starts.get(event["message_id"])
        if (
            start is not None
            and event["type"] == "clicked"
            and not event.get("is_machine")
            and datetime.fromisoformat(event["occurred_at"]) >= start
        ):
            event["is_machine"], event["machine_reason"] = True, REASON


def correct_stored(fresh: list[dict[str, Any]], messages: dict) -> None:
    """Clicks stored by earlier batches inside a burst's window become machine."""
    counter: Counter = Counter()
    links: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for message_id, start in _burst_starts(fresh).items():
        message = messages[uuid.UUID(message_id)]
        _correct(message, start, counter, links)
    if counter:
        rollups.upsert(counter)
    link_rollups.upsert(links)


def _correct(message: Any, start: datetime, counter: Counter, links: dict) -> None:
    table = MessageEvent.__table__
    moved = db.session.execute(
        update(table)
        .where(
            table.c.message_id == message.id,
            table.c.type == "clicked",
            table.c.is_machine.is_(False),
            table.c.occurred_at >= start,
        )
        .values(is_machine=True, machine_reason=REASON)
        .returning(table.c.occurred_at, table.c.url)
    ).all()
    if not moved:
        return
    first_before = db.session.scalar(select(Message.clicked_at).where(Message.id == message.id))
    remaining = db.session.scalar(
        select(func.min(table.c.occurred_at)).where(
            table.c.message_id == message.id,
            table.c.type == "clicked",
            table.c.is_machine.is_(False),
        )
    )
    db.session.execute(
        update(Message.__table__)
        .where(Message.__table__.c.id == message.id)
        .values(
            click_count=Message.__table__.c.click_count - len(moved),
            machine_click_count=Message.__table__.c.machine_click_count + len(moved),
            clicked_at=remaining,
        )
    )
    base = (
        message.org_id,
        message.campaign_id or rollups.NIL,
        message.template_version_id or rollups.NIL,
    )
    for at, url in moved:
        counter[(base[0], rollups.hour_of(at), base[1], base[2], "clicked_human")] -= 1
        counter[(base[0], rollups.hour_of(at), base[1], base[2], "clicked_machine")] += 1
        if url:
            links[link_rollups.key_of(message.org_id, at, url)][1] -= 1
    if first_before is not None and remaining is None:
        counter[
            (base[0], rollups.hour_of(first_before), base[1], base[2], "clicked_unique_human")
        ] -= 1
