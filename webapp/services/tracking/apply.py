"""What newly stored events change on their messages, in a few bulk statements.

Counters: ``open_count``/``click_count`` count people, ``machine_*`` count machines;
``opened_at``/``clicked_at`` are the first HUMAN open and click. Status moves only on
provider reports (the sending pipeline owns the SMTP-side statuses): delivered, bounced
(hard), complained — never backwards from a worse outcome.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal_column, or_, update

from webapp.extensions import db
from webapp.models import Message
from webapp.models.base import UTCDateTime

TRANSITIONS = {
    # event type: (new status, timestamp column, statuses it may replace)
    "delivered": ("delivered", "delivered_at", ("sending", "sent", "unknown", "deferred")),
    "bounced": ("bounced", "bounced_at", ("sending", "sent", "unknown", "deferred", "delivered")),
    "complained": (
        "complained",
        "complained_at",
        ("sending", "sent", "unknown", "deferred", "delivered", "bounced"),
    ),
}
WEBHOOK_TYPES = {
    "sent": "message.sent",
    "delivered": "message.delivered",
    "bounced": "message.bounced",
    "complained": "message.complained",
    "opened": "message.opened",
    "clicked": "message.clicked",
    "replied": "message.replied",
}
_FIELDS = ("open", "machine_open", "click", "machine_click")


def apply_to_messages(fresh: list[dict[str, Any]], messages: dict) -> None:
    _update_counters(fresh)
    _update_statuses(fresh)


def _update_counters(fresh: list[dict[str, Any]]) -> None:
    deltas: dict[str, dict[str, Any]] = {}
    for event in fresh:
        if event["type"] not in ("opened", "clicked"):
            continue
        row = deltas.setdefault(
            event["message_id"],
            {"b_id": uuid.UUID(event["message_id"]), "b_opened": None, "b_clicked": None}
            | {f"b_{name}": 0 for name in _FIELDS},
        )
        base = "open" if event["type"] == "opened" else "click"
        human = not event.get("is_machine")
        row[f"b_{base}" if human else f"b_machine_{base}"] += 1
        first_key = "b_opened" if base == "open" else "b_clicked"
        if human and row[first_key] is None:
            row[first_key] = datetime.fromisoformat(event["occurred_at"])
    if not deltas:
        return
    rows = sorted(deltas.values(), key=lambda r: r["b_id"])
    if db.engine.dialect.name == "postgresql":
        _copy_update_counters(rows)
        return
    table = Message.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            open_count=table.c.open_count + bindparam("b_open"),
            machine_open_count=table.c.machine_open_count + bindparam("b_machine_open"),
            click_count=table.c.click_count + bindparam("b_click"),
            machine_click_count=table.c.machine_click_count + bindparam("b_machine_click"),
            opened_at=func.coalesce(table.c.opened_at, bindparam("b_opened", type_=UTCDateTime())),
            clicked_at=func.coalesce(
                table.c.clicked_at, bindparam("b_clicked", type_=UTCDateTime())
            ),
        )
    )
    db.session.execute(statement, rows)


_STAGE = ("b_id", "b_open", "b_machine_open", "b_click", "b_machine_click", "b_opened", "b_clicked")


def _copy_update_counters(rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY the deltas into a temporary table and apply them in one UPDATE."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS herald_counter_stage (b_id uuid, b_open int, "
            "b_machine_open int, b_click int, b_machine_click int, b_opened timestamptz, "
            "b_clicked timestamptz) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY herald_counter_stage ({', '.join(_STAGE)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in _STAGE])
        cursor.execute(
            "UPDATE messages AS m SET open_count = m.open_count + s.b_open, "
            "machine_open_count = m.machine_open_count + s.b_machine_open, "
            "click_count = m.click_count + s.b_click, "
            "machine_click_count = m.machine_click_count + s.b_machine_click, "
            "opened_at = COALESCE(m.opened_at, s.b_opened), "
            "clicked_at = COALESCE(m.clicked_at, s.b_clicked) "
            "FROM herald_counter_stage AS s WHERE m.id = s.b_id"
        )
        cursor.execute("DELETE FROM herald_counter_stage")
    finally:
        cursor.close()


def _update_statuses(fresh: list[dict[str, Any]]) -> None:
    by_type: dict[str, dict[uuid.UUID, datetime]] = defaultdict(dict)
    for event in fresh:
        if event["type"] not in TRANSITIONS or event.get("source") in ("smtp", "tracking"):
            continue
        if event["type"] == "bounced" and (event.get("data") or {}).get("bounce_type") == "soft":
            continue
        by_type[event["type"]].setdefault(
            uuid.UUID(event["message_id"]), datetime.fromisoformat(event["occurred_at"])
        )
    table = Message.__table__
    for kind in ("delivered", "bounced", "complained"):  # worst last: it wins
        if not by_type.get(kind):
            continue
        status, column, allowed = TRANSITIONS[kind]
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), _status_in(table, allowed))
            .values({"status": status, column: bindparam("b_at", type_=UTCDateTime())})
        )
        params = [{"b_id": mid, "b_at": at} for mid, at in sorted(by_type[kind].items())]
        db.session.execute(statement, params)


def _status_in(table, statuses: tuple[str, ...]):
    """``status IN (...)`` written out: executemany cannot expand an IN parameter. The
    statuses are constants of this module, never input."""
    return or_(*(table.c.status == literal_column(f"'{status}'") for status in statuses))


def webhook_events(fresh: list[dict[str, Any]], messages: dict):
    """``(org_id, outgoing type, data)`` for each fresh event integrations hear about.

    Machine opens and clicks are left out: they are not engagement (P7). SMTP outcomes
    (``source`` "smtp") are left out too: the sending pipeline emits those itself when it
    records them.
    """
    for event in fresh:
        outgoing = WEBHOOK_TYPES.get(event["type"])
        if outgoing is None or event.get("source") == "smtp":
            continue
        if event["type"] in ("opened", "clicked") and event.get("is_machine"):
            continue
        message = messages[uuid.UUID(event["message_id"])]
        data = {
            "message_id": event["message_id"],
            "campaign_id": str(message.campaign_id) if message.campaign_id else None,
            "email": message.to_email,
            "occurred_at": event["occurred_at"],
            "source": event.get("source"),
        }
        if event["type"] == "clicked":
            data["url"] = event.get("url")
        if event["type"] == "bounced":
            data["bounce_type"] = (event.get("data") or {}).get("bounce_type", "hard")
            for key in ("status", "diagnostic"):  # what a DSN said (incoming mail)
                if (event.get("data") or {}).get(key):
                    data[key] = event["data"][key]
        yield message.org_id, outgoing, data
