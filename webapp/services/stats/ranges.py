"""Date ranges in an organization's time zone, turned into exact UTC hour bounds.

A range is a list of whole local days ``[start, end]`` (both inclusive). Its UTC bounds are
``[local midnight of start, local midnight after end)``; the hourly rollups whose hour starts
inside those bounds are exactly the events of those local days, also across a daylight-saving
change. (Zones with a half-hour offset are rounded to the hour they fall in: a rollup hour is a
UTC hour.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOURLY_MAX_DAYS = 3  # ranges up to this many days are charted per hour, longer ones per day
MAX_DAYS = 366
PRESETS = (1, 7, 30, 90)


@dataclass(frozen=True)
class DateRange:
    start: date  # first local day
    end: date  # last local day (inclusive)
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.start, self.tz)

    @property
    def end_utc(self) -> datetime:
        return local_midnight(self.end + timedelta(days=1), self.tz)

    @property
    def is_hourly(self) -> bool:
        return self.days <= HOURLY_MAX_DAYS

    def previous(self) -> DateRange:
        """The period of the same length just before this one."""
        length = timedelta(days=self.days)
        return DateRange(self.start - length, self.start - timedelta(days=1), self.tz)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(tz).date()


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_range(
    start: str | None,
    end: str | None,
    tz_name: str | None,
    *,
    default_days: int = 7,
    now: datetime | None = None,
) -> tuple[DateRange, str | None]:
    """The range asked for, or the last ``default_days`` days with an error message."""
    tz = zone(tz_name)
    today = today_in(tz, now)
    fallback = DateRange(today - timedelta(days=default_days - 1), today, tz)
    if not start and not end:
        return fallback, None
    first, last = _parse_day(start), _parse_day(end)
    if first is None or last is None:
        return fallback, "Dates must look like 2026-03-31."
    if last < first:
        return fallback, "The end date is before the start date."
    if (last - first).days + 1 > MAX_DAYS:
        return fallback, f"Choose a range of at most {MAX_DAYS} days."
    return DateRange(first, last, tz), None


def preset_range(days: int, tz_name: str | None, now: datetime | None = None) -> DateRange:
    tz = zone(tz_name)
    today = today_in(tz, now)
    return DateRange(today - timedelta(days=days - 1), today, tz)


def buckets(period: DateRange) -> list[tuple[datetime, str]]:
    """Chart buckets: (UTC start, label), per hour or per local day."""
    result = []
    if period.is_hourly:
        at, end = period.start_utc, period.end_utc
        while at < end:
            result.append((at, at.astimezone(period.tz).strftime("%b %d %H:00")))
            at += timedelta(hours=1)
        return result
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        result.append((local_midnight(day, period.tz), day.strftime("%b %d")))
    return result
