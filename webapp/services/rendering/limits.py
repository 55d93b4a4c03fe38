"""The limits every render runs under (REQUIREMENTS T3), and the per-render budget.

A render is bounded three ways, so that no expression can hold a process:

- **time**: one deadline per render (``HERALD_RENDER_TIMEOUT_MS``), checked at every sandbox
  hook (operator, call, filter, attribute, loop item, output chunk);
- **size of each value**: a string, list or dict is at most ``max_value`` characters deep (its
  text form), a list at most ``max_items`` items, a whole number at most ``MAX_INT_DIGITS``
  digits. Operations whose result size is known beforehand (``*``, ``**``, ``+``, ``~``, widths,
  ``join``) are checked *before* they run, so nothing huge is ever built;
- **total work**: every output chunk and every intermediate string or list counts against
  ``max_work`` characters per render, so many values under the per-value limit cannot add up
  to a memory problem (output buffered in macros, ``set`` blocks or ``filter`` blocks included).

With every single operation bounded, the deadline check between operations is enough to stop
a render in time: the longest uninterruptible step is one bounded operation (milliseconds).
The budget lives in a context variable, so it works in any thread, without signals.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

MAX_INT_DIGITS = 40
MAX_INT = 10**MAX_INT_DIGITS - 1
MAX_INT_BITS = MAX_INT.bit_length()


@dataclass(frozen=True)
class Limits:
    seconds: float = 2.0  # HERALD_RENDER_TIMEOUT_MS
    max_output: int = 1_000_000  # characters per rendered part (HERALD_RENDER_MAX_BYTES)
    max_items: int = 100_000  # items in one list, tuple or dict
    max_iterations: int = 200_000  # loop items per render, all loops together
    max_range: int = 10_000  # items one range() may produce
    max_width: int = 1_000  # widths and counts given to filters and format specs

    @property
    def max_value(self) -> int:
        """Characters in one value (a string, or a list or dict written out)."""
        return self.max_output

    @property
    def max_work(self) -> int:
        """Characters produced per render, output and intermediate values together."""
        return 8 * self.max_output


_limits = Limits()


def configure(*, timeout_ms: int, max_bytes: int) -> None:
    """Set the limits from the settings (called by the app factory)."""
    global _limits
    _limits = replace(_limits, seconds=max(timeout_ms, 1) / 1000, max_output=max(max_bytes, 1))


def current_limits() -> Limits:
    return _limits


def set_limits(limits: Limits) -> None:
    global _limits
    _limits = limits


class RenderLimitError(Exception):
    """A template went past a size or time cap."""

    def __init__(self, message: str, kind: str = "size") -> None:
        super().__init__(message)
        self.kind = kind


class Budget:
    """What one render may still spend: time, loop items, characters of work."""

    __slots__ = ("deadline", "hooks", "iterations", "limits", "work")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.iterations = 0
        self.work = 0
        self.hooks = 0

    def poll(self) -> None:
        """The deadline, every 16th cheap hook (attribute access, output chunk): each of those
        is a bounded step, so this costs nothing in precision that matters."""
        self.hooks += 1
        if not self.hooks & 0xF:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitError(
                f"The template took longer than {self.limits.seconds:g} s to render.", "timeout"
            )

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise RenderLimitError(
                f"Loops ran more than {self.limits.max_iterations:,} times.", "size"
            )
        if not self.iterations & 0x3F:
            self.check_time()

    def spend(self, characters: int) -> None:
        self.work += characters
        if self.work > self.limits.max_work:
            raise RenderLimitError(
                f"The template built more than {self.limits.max_work:,} characters of text "
                "while rendering.",
                "size",
            )
        self.poll()

    def accept(self, value: Any) -> Any:
        """Check a freshly computed value against every limit, and count it as work."""
        if isinstance(value, int) and not isinstance(value, bool):
            check_int(value)
            return value
        if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
            size = weight(value, self.limits.max_value)
            if size > self.limits.max_value:
                raise RenderLimitError(
                    f"A value grew past {self.limits.max_value:,} characters.", "size"
                )
            if not isinstance(value, str | bytes) and len(value) > self.limits.max_items:
                raise RenderLimitError(
                    f"Lists are limited to {self.limits.max_items:,} items.", "size"
                )
            self.spend(len(value))
        else:
            self.check_time()
        return value


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "herald_render_budget", default=None
)


def current_budget() -> Budget:
    """The budget of the render in progress (a fresh one when called outside a render)."""
    budget = _budget.get()
    return budget if budget is not None else Budget(_limits)


def count_output(characters: int) -> None:
    """``Budget.spend`` for output chunks, flattened: it runs for every chunk of every render."""
    budget = _budget.get()
    if budget is None:
        return  # compile-time constant folding: bounded by the source
    budget.work += characters
    budget.hooks += 1
    if budget.work > budget.limits.max_work or not budget.hooks & 0xF:
        budget.spend(0)


@contextmanager
def render_budget() -> Iterator[Budget]:
    """One budget for everything inside: all parts of one render share the deadline. Inside
    a render already in progress (validation compiles, then renders), that one goes on."""
    active = _budget.get()
    if active is not None:
        yield active
        return
    budget = Budget(_limits)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def check_int(value: int) -> None:
    if value > MAX_INT or value < -MAX_INT:
        raise RenderLimitError(f"Whole numbers are limited to {MAX_INT_DIGITS} digits.", "size")


def weight(value: Any, cap: int) -> int:
    """How many characters ``value`` takes written out (roughly), counting no further than
    just past ``cap``: a list holding the same big string a thousand times weighs a thousand
    strings, however little memory it takes, because writing it out would build them all."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, range):
            total += range_length(item) * (_digits(item) + 2)
        else:
            total += 1
        if total > cap:
            return total
    return total


def range_length(value: range) -> int:
    try:
        return len(value)
    except OverflowError:  # longer than the machine can count: certainly too long
        return MAX_INT


def _digits(value: range) -> int:
    return max(len(str(abs(value.start))), len(str(abs(value.stop)))) if value else 0
