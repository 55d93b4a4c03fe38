"""Small helpers shared by every feature's forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[str, str]] | Iterable[str]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs or plain values."""
    result = []
    for item in pairs:
        value, label = item if isinstance(item, tuple) else (item, item)
        result.append(SelectChoice(value, label))
    return result
