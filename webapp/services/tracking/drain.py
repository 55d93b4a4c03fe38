"""The drain: from the Redis event stream into the database, in batches.

Nothing is lost when the database is down: a batch is first moved atomically from the
stream to a processing list, written and committed, and only then removed from Redis. If the
write fails, the batch stays in the processing list and the next drain writes it first. The
same event id is stored once (``MessageEvent.event_key`` is unique and the insert skips
conflicts), and only events that were newly stored change counters, statuses and rollups, so
replaying a batch is harmless. One drain runs at a time (a Redis lock).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from webapp.extensions import db
from webapp.models import Message, MessageEvent, Organization, new_id
from webapp.services.events import EVENTS_KEY
from webapp.services.notify import webhooks as outgoing_webhooks
from webapp.services.tracking import bursts, domain_rollups, link_rollups, rollups
from webapp.services.tracking.apply import apply_to_messages, webhook_events

logger = logging.getLogger(__name__)

PROCESSING_KEY = "herald:events:processing"
LOCK_KEY = "herald:events:drain-lock"
# Atomically move up to N items from the stream to the processing list and return them.
_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  for i = 1, #items, 1000 do
    redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
  end
end
return items
"""


@dataclass
class DrainResult:
    read: int = 0
    stored: int = 0
    batches: int = 0


def drain(
    conn: redis.Redis, *, batch_size: int = 2000, max_batches: int | None = None
) -> DrainResult:
    """Write waiting events; raises (leaving them in Redis) when the database fails."""
    result = DrainResult()
    lock = conn.lock(LOCK_KEY, timeout=600, blocking=False)
    if not lock.acquire():
        logger.info("another drain is running")
        return result
    try:
        claim = conn.register_script(_CLAIM)
        while max_batches is None or result.batches < max_batches:
            items = conn.lrange(PROCESSING_KEY, 0, -1) or claim(
                keys=[EVENTS_KEY, PROCESSING_KEY], args=[batch_size]
            )
            if not items:
                break
            result.stored += write_batch(_parse(items))
            conn.delete(PROCESSING_KEY)
            result.read += len(items)
            result.batches += 1
    finally:
        lock.release()
    return result


def _parse(items: list[bytes]) -> list[dict[str, Any]]:
    parsed, seen = [], set()
    for item in items:
        try:
            event = json.loads(item)
            uuid.UUID(event["org_id"])
            uuid.UUID(event["message_id"])
        except (ValueError, TypeError, KeyError):
            logger.warning("dropped a malformed event from the stream")
            continue
        if event["id"] not in seen:
            seen.add(event["id"])
            parsed.append(event)
    return parsed


def write_batch(events: list[dict[str, Any]]) -> int:
    """Store one batch and everything it changes; commits. Returns the newly stored count."""
    try:
        fresh, messages, earlier_clicks = _store_new(events)
        if fresh:
            _apply(fresh, messages, earlier_clicks)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(fresh)


def _store_new(events: list[dict[str, Any]]):
    ids = {uuid.UUID(e["message_id"]) for e in events}
    messages = {m.id: m for m in _load_messages(ids)}
    switches = _tracking_switches({m.org_id for m in messages.values()})
    valid = [e for e in events if _belongs(e, messages, switches)]
    bursts.mark_in_batch(valid)
    earlier_clicks = link_rollups.earliest_stored(valid)
    inserted = _insert_events(valid)
    fresh = [e for e in valid if e["id"] in inserted]
    fresh.sort(key=lambda e: e["occurred_at"])
    return fresh, messages, earlier_clicks


def _load_messages(ids: set[uuid.UUID]) -> list[Any]:
    columns = (
        Message.id, Message.org_id, Message.campaign_id, Message.template_version_id,
        Message.to_email, Message.status, Message.opened_at, Message.clicked_at,
        Message.open_count, Message.machine_open_count, Message.click_count,
        Message.machine_click_count,
    )  # fmt: skip
    found, id_list = [], list(ids)
    for start in range(0, len(id_list), 1000):
        chunk = id_list[start : start + 1000]
        found.extend(db.session.execute(select(*columns).where(Message.id.in_(chunk))).all())
    return found


def _tracking_switches(org_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[bool, bool]]:
    if not org_ids:
        return {}
    rows = db.session.execute(
        select(Organization.id, Organization.open_tracking, Organization.click_tracking).where(
            Organization.id.in_(org_ids)
        )
    )
    return {row.id: (row.open_tracking, row.click_tracking) for row in rows}


def _belongs(event: dict[str, Any], messages: dict, switches: dict) -> bool:
    """The message exists, is the event's organization's, and tracking is on for it."""
    message = messages.get(uuid.UUID(event["message_id"]))
    if message is None or str(message.org_id) != event["org_id"]:
        return False
    open_on, click_on = switches.get(message.org_id, (True, True))
    if event["type"] == "opened" and event.get("source") == "tracking":
        return open_on
    if event["type"] == "clicked" and event.get("source") == "tracking":
        return click_on
    return True


def _row(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(),
        "org_id": uuid.UUID(event["org_id"]),
        "message_id": uuid.UUID(event["message_id"]),
        "type": event["type"],
        "occurred_at": datetime.fromisoformat(event["occurred_at"]),
        "event_key": str(event["id"])[:200],
        "source": str(event.get("source") or "tracking")[:32],
        "is_machine": bool(event.get("is_machine")),
        "machine_reason": str(event.get("machine_reason") or "")[:100],
        "url": event.get("url"),
        "user_agent": str(event.get("user_agent") or "")[:500],
        "data": event.get("data") or {},
    }


def _insert_events(events: list[dict[str, Any]]) -> set[str]:
    """Insert, skipping event keys already stored; returns the keys that were new."""
    if not events:
        return set()
    rows = [_row(e) for e in events]
    if db.engine.dialect.name == "postgresql":
        return _copy_insert(rows)
    statement = (
        sqlite.insert(MessageEvent.__table__)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(MessageEvent.__table__.c.event_key)
    )
    return set(db.session.execute(statement, rows).scalars())


_COLUMNS = (
    "id", "org_id", "message_id", "type", "occurred_at", "event_key", "source", "is_machine",
    "machine_reason", "url", "user_agent", "data",
)  # fmt: skip


def _copy_insert(rows: list[dict[str, Any]]) -> set[str]:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT … SELECT … ON
    CONFLICT DO NOTHING RETURNING: far cheaper than binding thousands of parameters."""
    from psycopg.types.json import Jsonb

    names = ", ".join(_COLUMNS)
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS herald_event_stage "
            "(LIKE message_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY herald_event_stage ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([Jsonb(row[c]) if c == "data" else row[c] for c in _COLUMNS])
        cursor.execute(
            f"INSERT INTO message_events ({names}) SELECT {names} FROM herald_event_stage "  # noqa: S608 - fixed column names
            "ON CONFLICT (event_key) DO NOTHING RETURNING event_key"
        )
        inserted = {key for (key,) in cursor.fetchall()}
        cursor.execute("DELETE FROM herald_event_stage")
    finally:
        cursor.close()
    return inserted


def _apply(fresh: list[dict[str, Any]], messages: dict, earlier_clicks: dict) -> None:
    counter: Counter = Counter()
    states = {
        m.id: rollups.MessageState(
            any_open=(m.open_count + m.machine_open_count) > 0,
            human_open=m.opened_at is not None,
            any_click=(m.click_count + m.machine_click_count) > 0,
            human_click=m.clicked_at is not None,
        )
        for m in messages.values()
    }
    for event in fresh:
        message = messages[uuid.UUID(event["message_id"])]
        rollups.add(
            counter,
            org_id=message.org_id,
            hour=rollups.hour_of(datetime.fromisoformat(event["occurred_at"])),
            campaign_id=message.campaign_id,
            template_version_id=message.template_version_id,
            metrics=rollups.metrics_for(event, states[message.id]),
        )
    rollups.upsert(counter)
    link_rollups.count_clicks(fresh, messages, earlier_clicks)
    recount = domain_rollups.lock_sent(_may_change_outcome(fresh, messages))
    domain_rollups.add_sent(recount, sign=-1)
    apply_to_messages(fresh, messages)
    bursts.correct_stored(fresh, messages)
    domain_rollups.add_sent(recount)
    _emit_webhooks(fresh, messages)


def _may_change_outcome(fresh: list[dict[str, Any]], messages: dict) -> set[uuid.UUID]:
    """Messages whose delivered/bounced/complained/first human open or click this batch may
    set (or, for a link-scanner burst, clear): their ``DomainRollup`` counts are redone."""
    ids = set()
    for event in fresh:
        message = messages[uuid.UUID(event["message_id"])]
        kind = event["type"]
        if (
            kind in ("delivered", "bounced", "complained")
            or (kind == "opened" and message.opened_at is None and not event.get("is_machine"))
            or (
                kind == "clicked"
                and (message.clicked_at is None or event.get("machine_reason") == bursts.REASON)
            )
        ):
            ids.add(message.id)
    return ids


def _emit_webhooks(fresh: list[dict[str, Any]], messages: dict) -> None:
    endpoints = outgoing_webhooks.enabled_endpoints(m.org_id for m in messages.values())
    if not endpoints:
        return
    for org_id, event_type, data in webhook_events(fresh, messages):
        if org_id in endpoints:
            outgoing_webhooks.emit_to(endpoints[org_id], event_type, data)
