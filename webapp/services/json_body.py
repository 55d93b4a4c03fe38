"""Reading JSON that strangers send (API requests, provider webhooks), within bounds.

``parse(raw)`` accepts UTF-8 JSON (a leading byte-order mark is ignored) of at most
``max_bytes``, nested at most ``max_depth`` levels, whose strings and keys are Unicode text
(no lone UTF-16 surrogate such as ``"\\ud800"``, which Python's parser lets through and which
no database or encoder takes later). Anything else raises :class:`BadJson` with the HTTP
status and a sentence to show: 413 for size, 400 for the rest. Nothing here raises another
exception for hostile input: 10,000 levels of brackets, invalid UTF-8 or a 4,301-digit
number are all a ``BadJson``.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJson(ValueError):
    """The body is not JSON this service accepts: ``status`` (400 or 413) and a reason."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason, self.status = reason, status


def parse(raw: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    if len(raw) > max_bytes:
        raise BadJson(f"The body is larger than {max_bytes:,} bytes.", 413)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise BadJson(f"The body is not UTF-8 text (byte {exc.start}).") from None
    too_deep = f"The JSON is nested more than {max_depth} levels deep."
    try:
        value = json.loads(text)
    except RecursionError:  # the C parser stops at the interpreter's recursion limit
        raise BadJson(too_deep) from None
    except ValueError as exc:
        raise BadJson(f"The body is not valid JSON: {_short(exc)}.") from None
    if _deeper_than(value, max_depth):
        raise BadJson(too_deep)
    if _ESCAPED_SURROGATE.search(text) and not _is_text(value):
        where = surrogate_path(value)
        raise BadJson(f"{where or 'The body'} holds a lone UTF-16 surrogate, which is not text.")
    return value


# Valid UTF-8 cannot carry a surrogate: only a \uD800-\uDFFF escape can.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` levels of arrays and objects (level by
    level, containers only: strings and numbers cost nothing)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return bool(level)


def _is_text(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def surrogate_path(value: Any) -> str | None:
    """Where (``a.b.0``) a string or key first holds a lone surrogate; ``None`` when none
    does. Iterative: no recursion on hostile input."""
    stack = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return f"A key in {where}" if where else "A key"
                stack.append((f"{where}.{key}" if where else key, child))
        elif isinstance(item, list):
            stack.extend(
                (f"{where}.{i}" if where else str(i), child) for i, child in enumerate(item)
            )
    return None


def _short(exc: ValueError) -> str:
    return str(exc).split(":", 1)[0][:200]
