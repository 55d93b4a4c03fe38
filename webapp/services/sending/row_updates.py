"""Writing many Message rows at once by primary key (the recorder's chunk commits)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, text, update
from sqlalchemy.dialects.postgresql import JSONB

from webapp.extensions import db
from webapp.models import Message


def bulk_update(rows: list[dict[str, Any]]) -> None:
    """UPDATE by primary key, one statement per distinct set of columns.

    On PostgreSQL that is ``UPDATE messages SET … FROM (VALUES …) v WHERE messages.id = v.id``:
    one statement for a hundred rows instead of a hundred (the database's CPU is shared with
    the workers on a small machine). Elsewhere an executemany by primary key.
    """
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for keys, group in groups.items():
        if postgres and len(group) > 1:
            _update_from_values(keys, group)
        else:
            db.session.execute(update(Message), group)


def _update_from_values(keys: tuple, group: list[dict[str, Any]]) -> None:
    """``UPDATE … FROM unnest(arrays)``: the SQL text depends only on the columns, so the
    server prepares it once; each column travels as one array parameter."""
    db.session.execute(text(_unnest_sql(keys)), _arrays(keys, group))


@lru_cache(maxsize=32)
def _unnest_sql(keys: tuple) -> str:
    from sqlalchemy.dialects import postgresql

    table = Message.__table__
    dialect = postgresql.dialect()
    arrays, assignments = [], []
    for key in keys:
        kind = table.c[key].type.compile(dialect=dialect)
        is_json = kind == "JSONB"
        arrays.append(f"CAST(:{key} AS {'TEXT' if is_json else kind}[])")
        if key != "id":
            assignments.append(f"{key} = v.{key}{'::jsonb' if is_json else ''}")
    # names and types come from the Message table; values travel as parameters
    sql = "UPDATE messages SET {} FROM unnest({}) AS v({}) WHERE messages.id = v.id"
    return sql.format(", ".join(assignments), ", ".join(arrays), ", ".join(keys))


def _arrays(keys: tuple, group: list[dict[str, Any]]) -> dict[str, list]:
    table = Message.__table__
    result = {}
    for key in keys:
        column_values = [row[key] for row in group]
        if isinstance(table.c[key].type, JSON | JSONB) or key == "links":
            column_values = [None if v is None else json.dumps(v) for v in column_values]
        result[key] = column_values
    return result
