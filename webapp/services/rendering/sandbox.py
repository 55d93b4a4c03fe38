"""The Jinja sandbox every template runs in (REQUIREMENTS T1-T3).

- ``ImmutableSandboxedEnvironment`` with autoescape: no attribute starting with ``_``, no
  mutation of lists or dicts, ``str.format`` checked. An unsafe attribute raises
  ``SecurityError`` at once (Jinja's default would print an empty string).
- Curated globals (``range`` only) and filters; the filters that can multiply text take their
  arguments through a size check.
- Time and size caps: every loop iteration, every call and every output chunk checks a
  per-render budget kept in a context variable, so a runaway template stops with a clear error
  and the worker stays healthy.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from webapp.services.rendering import filters as herald_filters

MAX_OUTPUT_CHARS = 2_000_000  # per rendered part; Gmail clips at 102 KB long before this
MAX_ITERATIONS = 200_000  # loop items per render, all loops together
MAX_RANGE = 10_000
TIME_LIMIT_SECONDS = 2.0

SAFE_BUILTIN_FILTERS = (
    "abs", "capitalize", "default", "d", "escape", "e", "first", "float", "int", "join",
    "last", "length", "count", "list", "lower", "upper", "replace", "round", "safe", "sort",
    "string", "striptags", "sum", "title", "trim", "truncate", "unique", "urlencode",
    "wordcount", "batch", "slice", "selectattr", "rejectattr", "map", "select", "reject",
    "dictsort", "groupby", "min", "max", "attr", "center", "indent", "wordwrap", "reverse",
)  # fmt: skip


class RenderLimitError(Exception):
    """A template went past a size or time cap."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Budget:
    __slots__ = ("deadline", "iterations")

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.iterations = 0

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise RenderLimitError(f"Loops ran more than {MAX_ITERATIONS:,} times.", "size")
        if not self.iterations & 0xFF:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitError(
                f"The template took longer than {TIME_LIMIT_SECONDS:g} s to render.", "timeout"
            )


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "herald_render_budget", default=None
)


def _current_budget() -> _Budget:
    budget = _budget.get()
    # A template rendered outside ``run_limited`` gets a budget of its own per loop or call.
    return budget if budget is not None else _Budget(TIME_LIMIT_SECONDS)


def guarded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _current_budget()
    for item in iterable:
        budget.tick()
        yield item


def check_size(value: Any) -> Any:
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_OUTPUT_CHARS:
        raise RenderLimitError("A value grew past the size limit.", "size")
    return value


def safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise RenderLimitError(f"range() is limited to {MAX_RANGE:,} items.", "size")
    return result


def _guard_filter(func: Any) -> Any:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _current_budget().check_time()
        return check_size(func(*args, **kwargs))

    for flag in ("jinja_pass_arg",):
        if hasattr(func, flag):
            setattr(guarded, flag, getattr(func, flag))
    guarded.__name__ = getattr(func, "__name__", "filter")
    return guarded


def _widths_ok(*args: Any, **kwargs: Any) -> None:
    for value in list(args[1:]) + list(kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1000:
            raise RenderLimitError("Widths and counts in filters are limited to 1000.", "size")


def _guard_replace(base: Any) -> Any:
    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> Any:
        text, old_s, new_s = str(s), str(old), str(new)
        occurrences = text.count(old_s) if old_s else len(text) + 1
        if len(text) + occurrences * max(0, len(new_s) - len(old_s)) > MAX_OUTPUT_CHARS:
            raise RenderLimitError("replace() would grow the text past the size limit.", "size")
        return base(eval_ctx, s, old, new, count)

    replace.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return replace


def _guard_attr(base: Any) -> Any:
    def attr(environment: Any, obj: Any, name: Any) -> Any:
        if isinstance(name, str) and name.startswith("_"):
            raise SecurityError(f"Access to {name!r} is not allowed in templates.")
        return base(environment, obj, name)

    attr.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return attr


def _guard_width(base: Any) -> Any:
    def widened(*args: Any, **kwargs: Any) -> Any:
        _widths_ok(*args, **kwargs)
        return base(*args, **kwargs)

    if hasattr(base, "jinja_pass_arg"):
        widened.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return widened


class HeraldSandbox(ImmutableSandboxedEnvironment):
    """The environment: immutable sandbox, autoescape, guarded loops, calls and operators."""

    intercepted_binops = frozenset(["*", "**", "%", "+", "//"])

    def __init__(self, *, strict: bool) -> None:
        super().__init__(
            autoescape=True,
            undefined=StrictUndefined if strict else ChainableUndefined,
            auto_reload=False,
            cache_size=0,
            keep_trailing_newline=True,
        )
        builtin = self.filters
        curated = {name: builtin[name] for name in SAFE_BUILTIN_FILTERS}
        curated["replace"] = _guard_replace(builtin["replace"])
        curated["attr"] = _guard_attr(builtin["attr"])
        for name in ("center", "indent", "wordwrap", "truncate", "batch", "slice"):
            curated[name] = _guard_width(builtin[name])
        curated.update(herald_filters.FILTERS)
        self.filters = {name: _guard_filter(func) for name, func in curated.items()}
        self.globals = {"range": safe_range, "_herald_iter": guarded_iter}
        self.tests = {name: self.tests[name] for name in _SAFE_TESTS if name in self.tests}

    def _generate(self, source: nodes.Template, name: Any, filename: Any, defer_init=False):
        for loop in source.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name("_herald_iter", "load"), [loop.iter], [], None, None)
        return super()._generate(source, name, filename, defer_init=defer_init)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(attribute, str) and attribute.startswith("_"):
            raise SecurityError(f"Access to {attribute!r} is not allowed in templates.")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str) and argument.startswith("_"):
            raise SecurityError(f"Access to {argument!r} is not allowed in templates.")
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: Any) -> Undefined:
        raise SecurityError(f"Access to {attribute!r} is not allowed in templates.")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _current_budget().check_time()
        return check_size(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise RenderLimitError("Exponents are limited to 64.", "size")
        if operator == "*":
            _check_repeat(left, right)
        if operator == "%" and isinstance(left, str):
            raise SecurityError("The % operator on text is not allowed; use filters instead.")
        return check_size(super().call_binop(context, operator, left, right))


def _check_repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        big = isinstance(seq, str | list | tuple) and isinstance(times, int)
        if big and len(seq) * times > MAX_OUTPUT_CHARS:
            raise RenderLimitError("Repeating text went past the size limit.", "size")


_SAFE_TESTS = (
    "defined", "undefined", "none", "number", "string", "mapping", "sequence", "iterable",
    "even", "odd", "divisibleby", "eq", "ne", "lt", "le", "gt", "ge", "in", "true", "false",
    "boolean", "integer", "float", "lower", "upper", "sameas", "==", "!=", "<", "<=", ">", ">=",
)  # fmt: skip

_ENVIRONMENTS: dict[tuple[bool, bool], HeraldSandbox] = {}


def environment(strict: bool = False, *, html: bool = True) -> HeraldSandbox:
    """The shared sandbox; ``html=False`` (no autoescape) for the text part and the subject."""
    key = (strict, html)
    if key not in _ENVIRONMENTS:
        env = HeraldSandbox(strict=strict)
        env.autoescape = html
        _ENVIRONMENTS[key] = env
    return _ENVIRONMENTS[key]


def run_limited(chunks: Iterator[str], seconds: float = TIME_LIMIT_SECONDS) -> str:
    """Join a template's output chunks under the time and size caps."""
    token = _budget.set(_Budget(seconds))
    try:
        parts: list[str] = []
        total = 0
        budget = _budget.get()
        for chunk in chunks:
            total += len(chunk)
            if total > MAX_OUTPUT_CHARS:
                raise RenderLimitError(
                    f"The output passed the size limit ({MAX_OUTPUT_CHARS:,} characters).", "size"
                )
            parts.append(chunk)
            budget.check_time()  # type: ignore[union-attr]
        return "".join(parts)
    finally:
        _budget.reset(token)
