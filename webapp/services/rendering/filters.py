"""Template filters: dates and times in the recipient's zone and locale (Babel), names, money.

Dates reach templates as ISO-8601 strings (the context is plain data); the filters parse them.
The recipient's time zone and locale come from ``recipient.timezone`` / ``recipient.locale`` in
the context, and can be given explicitly: ``{{ interview.at|datetime(tz="Europe/Paris") }}``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from babel.numbers import format_currency
from jinja2 import pass_context


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=128)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse((name or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def _recipient(context: Any, key: str) -> str:
    recipient = context.get("recipient")
    if isinstance(recipient, dict) and recipient.get(key):
        return str(recipient[key])
    return "UTC" if key == "timezone" else "en"


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _settings(context: Any, tz: str | None, locale: str | None) -> tuple[ZoneInfo, Locale]:
    zone = _zone(tz or _recipient(context, "timezone"))
    return zone, _locale(locale or _recipient(context, "locale"))


def _moment(kind: str, context: Any, value: Any, format: Any, tz, locale) -> str | None:
    """``kind`` of ``value`` in the zone and locale; None when ``value`` is not a moment.
    Recipients share interview times, zones and locales, and Babel takes ~50 µs a call: the
    result of plain string arguments is cached (it depends on nothing else)."""
    zone = tz or _recipient(context, "timezone")
    loc = locale or _recipient(context, "locale")
    if all(isinstance(part, str) for part in (value, format, zone, loc)):
        return _formatted(kind, value, format, zone, loc)
    return _format(kind, _parse(value), format, zone, loc)


@lru_cache(maxsize=4096)
def _formatted(kind: str, value: str, format: str, zone: str, loc: str) -> str | None:
    return _format(kind, _parse(value), format, zone, loc)


def _format(kind: str, moment: datetime | None, format: Any, zone_name, loc_name) -> str | None:
    if moment is None:
        return None
    zone, loc = _zone(zone_name), _locale(loc_name)
    local = moment.astimezone(zone)
    if kind == "datetime":
        return format_datetime(local, format, locale=loc)
    if kind == "date":
        return format_date(local.date(), format, locale=loc)
    if kind == "time":
        return format_time(local, format, locale=loc)
    return get_timezone_name(local, width="long", locale=loc)


@pass_context
def datetime_filter(context: Any, value: Any, format: str = "medium", tz=None, locale=None) -> str:
    text = _moment("datetime", context, value, format, tz, locale)
    return str(value or "") if text is None else text


@pass_context
def date_filter(context: Any, value: Any, format: str = "full", tz=None, locale=None) -> str:
    text = _moment("date", context, value, format, tz, locale)
    return str(value or "") if text is None else text


@pass_context
def time_filter(context: Any, value: Any, format: str = "short", tz=None, locale=None) -> str:
    text = _moment("time", context, value, format, tz, locale)
    return str(value or "") if text is None else text


@pass_context
def timezone_name(context: Any, value: Any = None, tz=None, locale=None) -> str:
    """The recipient's zone as people read it, e.g. "Central European Time"."""
    text = _moment("zone", context, value, "long", tz, locale)
    if text is None:  # no moment given: the zone's name now
        zone, loc = _settings(context, tz, locale)
        return get_timezone_name(datetime.now(UTC).astimezone(zone), width="long", locale=loc)
    return text


@pass_context
def money(context: Any, value: Any, currency: str = "EUR", locale=None) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value or "")
    loc = _locale(locale or _recipient(context, "locale"))
    return format_currency(amount, str(currency)[:3].upper(), locale=loc)


def first_name(value: Any) -> str:
    """ "ada lovelace" → "Ada"; an empty name gives "there" so "Hi {{ x|first_name }}" reads."""
    words = str(value or "").split()
    return _name_case(words[0]) if words else "there"


def name(value: Any) -> str:
    """Capitalize each part of a name without lowering "McDonald" or "van der Berg"."""
    return " ".join(_name_case(part) for part in str(value or "").split())


def _name_case(word: str) -> str:
    if word.islower() or word.isupper():
        return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
    return word


def duration(minutes: Any) -> str:
    try:
        total = int(minutes)
    except (TypeError, ValueError):
        return str(minutes or "")
    hours, mins = divmod(total, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


FILTERS = {
    "datetime": datetime_filter,
    "date": date_filter,
    "time": time_filter,
    "timezone_name": timezone_name,
    "money": money,
    "first_name": first_name,
    "name": name,
    "duration": duration,
}
