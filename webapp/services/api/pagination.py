"""Cursor pagination over UUIDv7 ids: newest first, stable while rows are being added.

Ids are UUIDv7, ordered by creation time, so ``id < last id`` is the next page: no offsets (a
row inserted meanwhile never shifts a page) and the primary key index does the work. The
cursor is the last id, base64url-encoded so that clients treat it as opaque.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from webapp.extensions import db


class BadCursor(ValueError):
    pass


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, TypeError) as exc:
        raise BadCursor("cursor is not valid") from exc


def paginate(statement: Select, id_column: Any, *, limit: int, cursor: str | None) -> Page:
    """Run ``statement`` (already scoped and filtered) for one page, newest first."""
    if cursor:
        statement = statement.where(id_column < decode_cursor(cursor))
    rows = list(db.session.scalars(statement.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)
