"""The render context is plain data (REQUIREMENTS T2): no ORM object, callable or secret.

``plain_context`` copies a context keeping only dicts, lists, strings, numbers, booleans and
None; dates become ISO-8601 strings (the date filters parse them); anything else is dropped
with a warning, so nothing with methods ever reaches a template.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

MAX_DEPTH = 8
_SCALARS = frozenset([str, int, float, bool, type(None)])


def plain_context(context: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    dropped: list[str] = []
    data = _plain(context, "", dropped, 0)
    return (data if isinstance(data, dict) else {}), dropped


def _plain(value: Any, path: str, dropped: list[str], depth: int) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if depth < MAX_DEPTH and isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if type(item) in _SCALARS and type(key) is str:
                result[key] = item  # the common case, without building its path
            elif isinstance(key, str):
                converted = _plain(item, f"{path}.{key}" if path else key, dropped, depth + 1)
                if converted is not _DROP:
                    result[key] = converted
        return result
    if depth < MAX_DEPTH and isinstance(value, list | tuple):
        items = (_plain(item, f"{path}[]", dropped, depth + 1) for item in value)
        return [item for item in items if item is not _DROP]
    dropped.append(f"The value of “{path}” is not plain data and was left out.")
    return _DROP


class _Drop:
    pass


_DROP = _Drop()
