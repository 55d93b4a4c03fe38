"""How the dashboard shows a moment: ``{{ value|in_zone }}``, the one filter for every time.

Every time shown is on the organization's wall clock (or the zone passed, e.g. a candidate's)
and names its zone: "Thu 03 Dec 2026, 09:00 EST". A format that shows no time of day (a date)
gets no zone label. Values may be aware datetimes (the models' UTC), naive ones (RQ's
timestamps, which are UTC) or ISO strings; an empty value shows as "".
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, g

from webapp.services.scheduling import zone

DEFAULT_FORMAT = "%a %d %b %Y, %H:%M"
TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%X", "%c", "%p")


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation at that moment (EST, CET), or its offset as UTC+05:30 where
    the zone has no abbreviation."""
    label = moment.strftime("%Z")
    if label and label[0] in "+-":
        offset = moment.strftime("%z")
        minutes = offset[3:] if offset[3:] != "00" else ""
        return f"UTC{offset[0]}{offset[1:3]}" + (f":{minutes}" if minutes else "")
    return label


def org_zone_name() -> str:
    org = g.get("org")
    return getattr(org, "timezone", None) or "UTC"


def in_zone(value, tz_name: str | None = None, fmt: str = DEFAULT_FORMAT) -> str:
    """``value`` on the wall clock of ``tz_name`` (default: the organization's zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone(tz_name or org_zone_name()))
    label = zone_label(local)
    if "%Z" in fmt:
        return local.strftime(fmt.replace("%Z", "%%Z")).replace("%Z", label)
    text = local.strftime(fmt)
    return f"{text} {label}" if any(d in fmt for d in TIME_DIRECTIVES) else text


def register_filters(app: Flask) -> None:
    app.add_template_filter(in_zone, "in_zone")
