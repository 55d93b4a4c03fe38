"""``LinkRollup``: clicks per (organization, UTC hour, URL).

A row counts the clicks on a URL in its hour (``clicks``), those by people (``human_clicks``),
and the messages whose earliest click on that URL is in the hour (``messages``): summed over a
range, that is how many messages clicked the URL for the first time in the range. The drain
writes them with the clicks it stores (it reads each message's earlier clicks on the URL first,
so a late click that arrives out of order moves the message to its own hour); a link-scanner
burst that turns stored clicks into machine clicks takes them off ``human_clicks``.

The URL is the row's key. One longer than ``KEY_BYTES`` (UTF-8) is kept as its first
``SHORT_CHARS`` characters and an ellipsis, so every key fits a PostgreSQL index entry; such
URLs that share their beginning share a row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import LargeBinary, case, cast, delete, func, select

from webapp.extensions import db
from webapp.models import LinkRollup, MessageEvent
from webapp.services.tracking import domain_rollups, rollups

KEY_BYTES = 1000
SHORT_CHARS = 250
FIELDS = ("clicks", "human_clicks", "messages")
CHUNK = 1000


def url_key(url: str) -> str:
    if len(url.encode("utf-8", "replace")) <= KEY_BYTES:
        return url
    return url[:SHORT_CHARS] + "…"


def url_key_sql(url):
    postgres = db.engine.dialect.name == "postgresql"
    size = func.octet_length(url) if postgres else func.length(cast(url, LargeBinary))
    return case((size <= KEY_BYTES, url), else_=func.substr(url, 1, SHORT_CHARS).concat("…"))


def key_of(org_id: uuid.UUID, moment: datetime, url: str) -> tuple:
    """The row a click at ``moment`` on ``url`` counts in."""
    return org_id, rollups.hour_of(moment.astimezone(UTC)), url_key(url)


def _clicks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "clicked" and e.get("url")]


def earliest_stored(events: list[dict[str, Any]]) -> dict[tuple[str, str], datetime]:
    """(message id, url) -> the earliest click already stored, for the clicks in ``events``;
    read before they are stored."""
    ids = sorted({uuid.UUID(e["message_id"]) for e in _clicks(events)})
    table = MessageEvent.__table__
    found: dict[tuple[str, str], datetime] = {}
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(table.c.message_id, table.c.url, func.min(table.c.occurred_at))
            .where(
                table.c.message_id.in_(ids[start : start + CHUNK]),
                table.c.type == "clicked",
                table.c.url.is_not(None),
            )
            .group_by(table.c.message_id, table.c.url)
        )
        found.update({(str(mid), url): at for mid, url, at in rows})
    return found


def count_clicks(
    fresh: list[dict[str, Any]], messages: dict, earlier: dict[tuple[str, str], datetime]
) -> None:
    """Add the newly stored clicks (``earlier`` from ``earliest_stored``)."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    first: dict[tuple[str, str], datetime] = {}
    for event in _clicks(fresh):
        org_id = messages[uuid.UUID(event["message_id"])].org_id
        at = datetime.fromisoformat(event["occurred_at"])
        row = deltas[key_of(org_id, at, event["url"])]
        row[0] += 1
        row[1] += 0 if event.get("is_machine") else 1
        pair = (event["message_id"], event["url"])
        first[pair] = min(first.get(pair, at), at)
    for (message_id, url), at in first.items():
        before = earlier.get((message_id, url))
        if before is not None and before <= at:
            continue
        org_id = messages[uuid.UUID(message_id)].org_id
        if before is not None:
            deltas[key_of(org_id, before, url)][2] -= 1
        deltas[key_of(org_id, at, url)][2] += 1
    upsert(deltas)


def upsert(deltas: dict[tuple, list[int]]) -> None:
    """Add ``(org_id, hour, key) -> [clicks, human_clicks, messages]``, one statement."""
    rows = [
        {"org_id": key[0], "hour": key[1], "url": key[2], **dict(zip(FIELDS, values, strict=True))}
        for key, values in sorted(deltas.items(), key=lambda item: tuple(map(str, item[0])))
        if any(values)
    ]
    if not rows:
        return
    statement = rollups.insert_adding(LinkRollup.__table__, ["org_id", "hour", "url"], FIELDS)
    db.session.execute(statement, rows)


def rebuild(org_id: uuid.UUID | None = None) -> None:
    """Recount the rows from the stored clicks (of one organization, or all); flushes."""
    table, rollup = MessageEvent.__table__, LinkRollup.__table__
    scope = table.c.org_id.is_not(None) if org_id is None else table.c.org_id == org_id
    order = func.row_number().over(
        partition_by=(table.c.message_id, table.c.url), order_by=table.c.occurred_at
    )
    clicks = (
        select(
            table.c.org_id,
            domain_rollups.hour_sql(table.c.occurred_at).label("hour"),
            url_key_sql(table.c.url).label("url"),
            case((table.c.is_machine.is_(False), 1), else_=0).label("human"),
            case((table.c.message_id.is_not(None) & (order == 1), 1), else_=0).label("is_first"),
        )
        .where(scope, table.c.type == "clicked", table.c.url.is_not(None))
        .subquery()
    )
    source = (
        select(
            clicks.c.org_id,
            clicks.c.hour,
            clicks.c.url,
            func.count(),
            func.sum(clicks.c.human),
            func.sum(clicks.c.is_first),
        )
        .where(clicks.c.org_id.is_not(None))
        .group_by(clicks.c.org_id, clicks.c.hour, clicks.c.url)
    )
    if org_id is None:
        db.session.execute(delete(LinkRollup))
    else:
        db.session.execute(delete(LinkRollup).where(LinkRollup.org_id == org_id))
    db.session.execute(rollup.insert().from_select(["org_id", "hour", "url", *FIELDS], source))
    db.session.flush()
