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
    depth, where = _walk(value)
    if depth > max_depth:
        raise BadJson(too_deep)
    if where is not None:
        raise BadJson(f"{where or 'The body'} holds a lone UTF-16 surrogate, which is not text.")
    return value


def _walk(value: Any) -> tuple[int, str | None]:
    """How deep ``value`` nests, and where (``a.b.0``) a string or key first holds a lone
    surrogate (``None`` when none does). Iterative: no recursion on hostile input."""
    stack, deepest = [("", value, 0)], 0
    while stack:
        where, item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return deepest, where
        elif isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return deepest, f"A key in {where}" if where else "A key"
                stack.append((f"{where}.{key}" if where else key, child, depth + 1))
        elif isinstance(item, list):
            stack.extend(
                (f"{where}.{i}" if where else str(i), child, depth + 1)
                for i, child in enumerate(item)
            )
    return deepest, None


def _short(exc: ValueError) -> str:
    return str(exc).split(":", 1)[0][:200]
