"""The event stream: every delivery outcome, provider event and tracking hit goes through here.

Producers (the sending pipeline, tracking routes, provider webhooks) push plain dicts to a
Redis list; the drain job (``jobs.tracking.drain_events``) writes them to the database in
batches: MessageEvent rows (deduplicated by ``id``), per-message counters and the hourly
rollups the dashboard reads. Pushing is one Redis command, so a tracking hit answers fast and
events wait in Redis while the database is down.

Event fields: ``id`` (unique; the same id is stored once), ``org_id``, ``message_id``, ``type``
(sent, delivered, deferred, bounced, complained, failed, opened, clicked, unsubscribed,
replied),
``occurred_at`` (ISO-8601 UTC), ``is_machine``, ``machine_reason``, ``url``, ``user_agent``,
``source`` (tracking, smtp, or a provider name) and ``data`` (anything else, e.g. bounce type).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import redis

from webapp.models import utcnow

EVENTS_KEY = "herald:events"
EVENT_TYPES = (
    "sent",
    "delivered",
    "deferred",
    "bounced",
    "complained",
    "failed",
    "opened",
    "clicked",
    "unsubscribed",
    "replied",
)


def make_event(
    *,
    org_id: uuid.UUID | str,
    message_id: uuid.UUID | str | None,
    type: str,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    is_machine: bool = False,
    machine_reason: str = "",
    url: str | None = None,
    user_agent: str = "",
    source: str = "tracking",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    return {
        "id": event_id or uuid.uuid4().hex,
        "org_id": str(org_id),
        "message_id": str(message_id) if message_id else None,
        "type": type,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "is_machine": bool(is_machine),
        "machine_reason": machine_reason,
        "url": url,
        "user_agent": (user_agent or "")[:500],
        "source": source,
        "data": data or {},
    }


def push_events(conn: redis.Redis, events: list[dict[str, Any]]) -> None:
    if events:
        conn.rpush(EVENTS_KEY, *[json.dumps(event, separators=(",", ":")) for event in events])


def push_event(conn: redis.Redis, **fields: Any) -> dict[str, Any]:
    event = make_event(**fields)
    push_events(conn, [event])
    return event
