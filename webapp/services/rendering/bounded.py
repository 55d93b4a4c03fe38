"""Bounded versions of everything in a template that can build text or lists.

Each check runs *before* the operation, from sizes known up front (a width, a repeat count,
the lengths being joined), so a template can never make Python build a huge value first and
look at it afterwards. See ``limits.py`` for the limits themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from string import Formatter
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter

from webapp.services.rendering.limits import (
    MAX_INT_BITS,
    MAX_INT_DIGITS,
    Limits,
    RenderLimitError,
    current_budget,
    range_length,
    weight,
)

WORDWRAP_MAX_INPUT = 100_000  # textwrap is pure Python: keep one call well under the deadline
FILTER_ARG_MAX = 200  # characters in a pattern or currency given to Herald's own filters
ITERATING_FILTERS = frozenset(
    ["batch", "slice", "unique", "groupby", "map", "select", "reject", "selectattr",
     "rejectattr", "sort", "dictsort", "list", "sum", "min", "max", "join", "reverse"]
)  # fmt: skip


def too_big(what: str, limits: Limits) -> RenderLimitError:
    return RenderLimitError(f"{what} would grow past {limits.max_value:,} characters.", "size")


def check_width(name: str, value: Any, limits: Limits) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limits.max_width:
        raise RenderLimitError(
            f"Widths and counts given to {name} are limited to {limits.max_width:,}.", "size"
        )


# --- operators --------------------------------------------------------------------------------


def check_binop(operator: str, left: Any, right: Any, limits: Limits) -> None:
    if operator == "%" and isinstance(left, str):
        raise SecurityError("The % operator on text is not allowed; use filters instead.")
    if operator == "**":
        _check_power(left, right)
    elif operator == "*":
        _check_repeat(left, right, limits)
    elif operator == "+" and _is_sequence(left) and _is_sequence(right):
        _check_sum_of(left, right, limits)


def _check_sum_of(left: Any, right: Any, limits: Limits) -> None:
    if weight(left, limits.max_value) + weight(right, limits.max_value) > limits.max_value:
        raise too_big("Adding these", limits)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_power(base: Any, exponent: Any) -> None:
    if not (_is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1):
        return
    if (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
        raise _number_too_big()


def _number_too_big() -> RenderLimitError:
    return RenderLimitError(f"Whole numbers are limited to {MAX_INT_DIGITS} digits.", "size")


def _check_repeat(left: Any, right: Any, limits: Limits) -> None:
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise _number_too_big()
        return
    for seq, times in ((left, right), (right, left)):
        if _is_sequence(seq) and _is_int(times) and times > 1:
            if not isinstance(seq, str | bytes) and len(seq) * times > limits.max_items:
                raise RenderLimitError(f"Lists are limited to {limits.max_items:,} items.")
            if weight(seq, limits.max_value) * times > limits.max_value:
                raise too_big("Repeating this", limits)


def check_concat(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    """``a ~ b ~ c``: the joined length is known before joining."""
    budget = current_budget()
    cap = budget.limits.max_value
    total = 0
    for part in parts:
        total += weight(part, cap)
        if total > cap:
            raise too_big("Joining with ~", budget.limits)
    budget.spend(total)
    return parts


def safe_range(*args: Any) -> range:
    limits = current_budget().limits
    result = range(*args)
    if range_length(result) > limits.max_range:
        raise RenderLimitError(f"range() is limited to {limits.max_range:,} items.", "size")
    return result


# --- filters ----------------------------------------------------------------------------------


def _items(value: Iterable[Any], limits: Limits) -> list[Any]:
    items = []
    budget = current_budget()
    for item in value:
        items.append(item)
        if len(items) > limits.max_items:
            raise RenderLimitError(f"Lists are limited to {limits.max_items:,} items.", "size")
        if not len(items) & 0x3FF:
            budget.check_time()
    return items


def bounded_join(base: Callable[..., Any]) -> Callable[..., Any]:
    def join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        limits = current_budget().limits
        items = _items(value, limits)
        total = len(str(d)) * max(len(items) - 1, 0)
        for item in items:
            total += weight(item, limits.max_value)
            if total > limits.max_value:
                raise too_big("join", limits)
        return base(eval_ctx, items, d, attribute)

    join.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return join


def bounded_sum(base: Callable[..., Any]) -> Callable[..., Any]:
    def sum_(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        if not isinstance(start, int | float):
            raise RenderLimitError("sum adds numbers only.", "size")
        return base(environment, _items(iterable, current_budget().limits), attribute, start)

    sum_.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return sum_


def bounded_indent(base: Callable[..., Any]) -> Callable[..., Any]:
    def indent(s: Any, width: Any = 4, first: bool = False, blank: bool = False) -> Any:
        limits = current_budget().limits
        check_width("indent", width, limits)
        text = str(s)
        pad = len(width) if isinstance(width, str) else int(width or 0)
        if len(text) + (text.count("\n") + 1) * max(pad, 0) > limits.max_value:
            raise too_big("indent", limits)
        return base(s, width, first, blank)

    return indent


def bounded_wordwrap(base: Callable[..., Any]) -> Callable[..., Any]:
    def wordwrap(environment: Any, s: str, width: int = 79, *args: Any, **kwargs: Any) -> Any:
        limits = current_budget().limits
        check_width("wordwrap", width, limits)
        text = str(s)
        if len(text) > WORDWRAP_MAX_INPUT:
            raise RenderLimitError(
                f"wordwrap takes at most {WORDWRAP_MAX_INPUT:,} characters.", "size"
            )
        # do_wordwrap(s, width, break_long_words, wrapstring, break_on_hyphens)
        wrapstring = kwargs.get("wrapstring") or (args[1] if len(args) > 1 else None) or "\n"
        # each line holds at least one word or one piece of a word broken at the width
        lines = len(text.split()) + len(text) // max(int(width), 1) + text.count("\n") + 1
        if len(text) + lines * len(str(wrapstring)) > limits.max_value:
            raise too_big("wordwrap", limits)
        return base(environment, s, width, *args, **kwargs)

    wordwrap.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return wordwrap


def bounded_replace(base: Callable[..., Any]) -> Callable[..., Any]:
    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> Any:
        limits = current_budget().limits
        _check_replace(str(s), str(old), str(new), count, limits)
        return base(eval_ctx, s, old, new, count)

    replace.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return replace


def _check_replace(text: str, old: str, new: str, count: Any, limits: Limits) -> None:
    occurrences = text.count(old) if old else len(text) + 1
    if _is_int(count) and count >= 0:
        occurrences = min(occurrences, count)
    if len(text) + occurrences * max(0, len(new) - len(old)) > limits.max_value:
        raise too_big("replace", limits)


def bounded_widths(name: str, base: Callable[..., Any]) -> Callable[..., Any]:
    """Filters whose numeric arguments are widths or counts (center, truncate, batch, slice)."""

    def widened(*args: Any, **kwargs: Any) -> Any:
        limits = current_budget().limits
        for value in list(args[1:]) + list(kwargs.values()):
            check_width(name, value, limits)
        return base(*args, **kwargs)

    if hasattr(base, "jinja_pass_arg"):
        widened.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return widened


def guard_filter(name: str, func: Callable[..., Any], herald_own: bool) -> Callable[..., Any]:
    """Every filter: deadline first, inputs within limits, the result counted and checked."""
    skip = 1 if hasattr(func, "jinja_pass_arg") else 0

    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.check_time()
        value = args[skip] if len(args) > skip else None
        iterable = isinstance(value, str | bytes | list | tuple | dict)
        if name in ITERATING_FILTERS and iterable and len(value) > budget.limits.max_items:
            raise RenderLimitError(
                f"{name} takes at most {budget.limits.max_items:,} items.", "size"
            )
        if herald_own:
            _check_herald_args(name, args[skip:], kwargs)
        return budget.accept(func(*args, **kwargs))

    if hasattr(func, "jinja_pass_arg"):
        guarded.jinja_pass_arg = func.jinja_pass_arg  # type: ignore[attr-defined]
    guarded.__name__ = name
    return guarded


def _check_herald_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if len(args) < 2 and not kwargs and name != "money":
        return
    values = list(args if name == "money" else args[1:]) + list(kwargs.values())
    if any(isinstance(v, str) and len(v) > FILTER_ARG_MAX for v in values):
        raise RenderLimitError(
            f"Values given to {name} are limited to {FILTER_ARG_MAX} characters.", "size"
        )


# --- method calls on data ---------------------------------------------------------------------

SAFE_METHODS = {
    str: frozenset(
        ["capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
         "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
         "isprintable", "isspace", "istitle", "isupper", "lower", "lstrip", "partition",
         "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip",
         "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "encode",
         "center", "ljust", "rjust", "zfill", "join", "replace", "escape", "striptags",
         "unescape"]
    ),
    dict: frozenset(["get", "items", "keys", "values"]),
    list: frozenset(["count", "index"]),
    tuple: frozenset(["count", "index"]),
}  # fmt: skip
OWNER_TYPES = (str, bytes, int, float, dict, list, tuple, set, frozenset)


def check_method_call(obj: Any, args: tuple[Any, ...], limits: Limits) -> None:
    """Methods of data values: a short list of harmless ones, with sizes checked beforehand."""
    owner = getattr(obj, "__self__", None)
    owner_type = owner if isinstance(owner, type) else type(owner)
    if owner is None or not issubclass(owner_type, OWNER_TYPES):
        return
    name = getattr(obj, "__name__", "")
    kind = next((t for t in SAFE_METHODS if issubclass(owner_type, t)), None)
    if isinstance(owner, type) or kind is None or name not in SAFE_METHODS[kind]:
        raise SecurityError(f"Calling {owner_type.__name__}.{name}() is not allowed in templates.")
    if name in ("center", "ljust", "rjust", "zfill") and args:
        check_width(name, args[0], limits)
    elif name == "join" and args:
        total = 0
        for item in _items(args[0], limits):
            total += weight(item, limits.max_value) + len(owner)
            if total > limits.max_value:
                raise too_big("join", limits)
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else None
        _check_replace(str(owner), str(args[0]), str(args[1]), count, limits)


# --- str.format ---------------------------------------------------------------------------------

SPEC_NUMBER = re.compile(r"\d+")


class _BoundedFields(Formatter):
    """Mixed into the sandbox formatters: widths checked, the total length counted."""

    total = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self.total = 0
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        budget = current_budget()
        limits = budget.limits
        for number in SPEC_NUMBER.findall(format_spec):
            check_width("format", int(number), limits)
        budget.check_time()
        result = super().format_field(value, format_spec)
        self.total += len(result)
        if self.total > limits.max_value:
            raise too_big("format", limits)
        return result


class BoundedFormatter(_BoundedFields, SandboxedFormatter):
    pass


class BoundedEscapeFormatter(_BoundedFields, SandboxedEscapeFormatter):
    pass
