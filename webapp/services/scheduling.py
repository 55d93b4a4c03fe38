"""When a message goes out: now, at a time in the organization's zone, or at a local time in
each recipient's own zone, optionally kept inside a send window (e.g. weekdays 08:00-18:00).

Everything returns timezone-aware UTC datetimes: ``Message.send_after`` is the one clock.
Local times are computed with :mod:`zoneinfo`, so daylight-saving changes are handled per
date: 09:00 in Europe/Paris is 08:00 UTC in winter and 07:00 UTC in summer. A local time that
does not exist on a spring-forward day (02:30) is moved forward by the gap, as a wall clock does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

SCHEDULE_MODES = ("now", "at", "local")


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_timezone(name: str) -> bool:
    return name in known_timezones()


@lru_cache(maxsize=1024)
def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The zone called ``name``, or ``fallback`` when it is empty or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate and is_known_timezone(candidate):
            try:
                return ZoneInfo(candidate)
            except ZoneInfoNotFoundError:  # pragma: no cover - listed but not loadable
                continue
    return ZoneInfo("UTC")


def parse_hhmm(value: str) -> time:
    """``"09:00"`` → ``time(9, 0)``; raises ValueError on anything else."""
    hours, _, minutes = value.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant when the wall clock in ``tz`` shows ``at`` on ``day``.

    Non-existent local times (spring forward) are shifted by the gap; ambiguous ones (fall
    back) take the first occurrence.
    """
    # fold=0 (PEP 495): in a gap the offset from before the change applies, which lands on
    # the shifted wall time (02:30 → 03:30); in an overlap it picks the first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def next_local_time(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next instant (at or after ``now``) when it is ``at`` o'clock in ``tz``."""
    today = now.astimezone(tz).date()
    for offset in range(0, 3):
        candidate = local_to_utc(today + timedelta(days=offset), at, tz)
        if candidate >= now:
            return candidate
    raise AssertionError("unreachable: a local time recurs every day")


def apply_window(when: datetime, window: dict | None, tz: ZoneInfo) -> datetime:
    """Move ``when`` to the next moment inside ``window`` in ``tz`` (or leave it).

    ``window`` is ``{"days": [0..6] (Monday=0), "start": "08:00", "end": "18:00"}``; an empty
    dict means no window.
    """
    if not window:
        return when
    days = set(window.get("days") or range(7))
    start = parse_hhmm(window.get("start") or "00:00")
    end = parse_hhmm(window.get("end") or "23:59")
    local = when.astimezone(tz)
    for offset in range(0, 8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        opens, closes = local_to_utc(day, start, tz), local_to_utc(day, end, tz)
        if when < opens:
            return opens
        if when < closes:
            return when
    raise ValueError("the send window has no open day")


def send_time(
    mode: str,
    *,
    now: datetime,
    recipient_tz: str | None,
    org_tz: str,
    send_at: datetime | None = None,
    local_time: str = "",
    window: dict | None = None,
) -> datetime:
    """When one recipient's message is due, for a campaign's schedule."""
    tz = zone(recipient_tz, org_tz)
    if mode == "local":
        when = next_local_time(now, parse_hhmm(local_time), tz)
    elif mode == "at" and send_at is not None:
        when = max(send_at, now)
    else:
        when = now
    return apply_window(when, window, tz)


def validate_window(window: dict) -> list[str]:
    """Human-readable problems with a send window (empty list when it is usable)."""
    problems = []
    try:
        start, end = parse_hhmm(window.get("start", "")), parse_hhmm(window.get("end", ""))
    except ValueError:
        return ["Give the window's start and end as HH:MM."]
    if start >= end:
        problems.append("The window must end after it starts.")
    if not window.get("days"):
        problems.append("Pick at least one day for the send window.")
    return problems


def parse_local_datetime(value: str, tz_name: str) -> datetime:
    """``"2026-03-29T09:00"`` (or with a space) on the wall clock of ``tz_name`` → UTC."""
    naive = datetime.fromisoformat(value.strip().replace(" ", "T"))
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return local_to_utc(naive.date(), naive.time(), zone(tz_name))


def format_local(value: datetime | None, tz_name: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(zone(tz_name)).strftime(fmt)


SHOWN_FORMAT = "%a %d %b %Y, %H:%M"
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%X", "%c", "%p")


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation at that moment (EST, CET), or its offset as UTC+05:30 where
    the zone has none."""
    label = moment.strftime("%Z")
    if label and label[0] in "+-":
        offset = moment.strftime("%z")
        minutes = offset[3:5] if offset[3:5] != "00" else ""
        return f"UTC{offset[0]}{offset[1:3]}" + (f":{minutes}" if minutes else "")
    return label


def show_time(value: datetime | str | None, tz_name: str | None, fmt: str = SHOWN_FORMAT) -> str:
    """A moment as people read it: on the wall clock of ``tz_name``, naming the zone
    ("Thu 03 Dec 2026, 09:00 EST"). A format without a time of day (a date) gets no label.
    Naive values are taken as UTC (RQ's timestamps); ISO strings are parsed; None is ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone(tz_name))
    label = zone_label(local)
    if "%Z" in fmt:
        return local.strftime(fmt.replace("%Z", "%%Z")).replace("%Z", label)
    text = local.strftime(fmt)
    return f"{text} {label}" if any(d in fmt for d in _TIME_DIRECTIVES) else text
