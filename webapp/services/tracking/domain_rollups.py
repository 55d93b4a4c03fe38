"""``DomainRollup``: messages per (organization, UTC hour of ``sent_at``, recipient domain).

A row counts the messages sent in its hour to its domain, and how many of those have a
``delivered_at``, ``bounced_at``, ``complained_at``, ``opened_at`` (first human open) and
``clicked_at`` (first human click): the same numbers as counting those columns over the
messages sent in a range. A message is added when it is recorded as sent (the recorder, the
sweeper); when the drain changes one of those columns, the message is taken out before and put
back after, in the same transaction. Everything is computed in SQL from the message rows, so
the rows, the backfill and ``rebuild`` agree exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, select

from webapp.extensions import db
from webapp.models import DomainRollup, Message
from webapp.services.tracking import rollups

COUNTED = {
    "delivered": "delivered_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
}
FIELDS = ("sent", *COUNTED)
CHUNK = 1000


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def domain_sql(address):
    """The lower-cased part after the ``@`` (SQL)."""
    if _postgres():
        return func.lower(func.split_part(address, "@", 2))
    return func.lower(func.substr(address, func.instr(address, "@") + 1))


def hour_sql(moment):
    """The UTC hour a timestamp falls in (SQL), stored as the model stores datetimes."""
    if _postgres():
        return func.timezone("UTC", func.date_trunc("hour", func.timezone("UTC", moment)))
    return func.strftime("%Y-%m-%d %H:00:00.000000", moment)


def _add(condition, sign: int) -> None:
    """Add (or with ``sign`` -1 take out) the sent messages matching ``condition``."""
    table, rollup = Message.__table__, DomainRollup.__table__
    hour, domain = hour_sql(table.c.sent_at), domain_sql(table.c.to_email)
    counts = [func.count(), *(func.count(table.c[column]) for column in COUNTED.values())]
    source = (
        select(table.c.org_id, hour, domain, *(count * sign for count in counts))
        .where(condition, table.c.sent_at.is_not(None))
        .group_by(table.c.org_id, hour, domain)
        .order_by(table.c.org_id, hour, domain)  # one lock order for concurrent writers
    )
    db.session.execute(
        rollups.insert_adding(rollup, ["org_id", "hour", "domain"], FIELDS, source=source)
    )


def add_sent(ids: Iterable[uuid.UUID], sign: int = 1) -> None:
    """The messages ``ids`` as they are now (those with a ``sent_at``), one statement per
    thousand ids."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        _add(Message.__table__.c.id.in_(ids[start : start + CHUNK]), sign)


def lock_sent(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Of ``ids``, the messages already sent, with every row of ``ids`` locked (PostgreSQL)
    until the commit: a recorder cannot add one of them as sent meanwhile."""
    ids, sent = sorted(set(ids)), []
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(Message.id, Message.sent_at)
            .where(Message.id.in_(ids[start : start + CHUNK]))
            .order_by(Message.id)
            .with_for_update()
        )
        sent.extend(row.id for row in rows if row.sent_at is not None)
    return sent


def rebuild(org_id: uuid.UUID | None = None) -> None:
    """Recount the rows from the messages (of one organization, or all); flushes."""
    table = Message.__table__
    if org_id is None:
        db.session.execute(delete(DomainRollup))
        _add(table.c.org_id.is_not(None), 1)
    else:
        db.session.execute(delete(DomainRollup).where(DomainRollup.org_id == org_id))
        _add(table.c.org_id == org_id, 1)
    db.session.flush()
