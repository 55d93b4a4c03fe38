"""How the dashboard shows a moment: ``{{ value|in_zone }}``, the one filter for every time.

Every time shown is on the organization's wall clock (or the zone passed, e.g. a candidate's)
and names its zone: "Thu 03 Dec 2026, 09:00 EST" (``scheduling.show_time``, which emails to
the organization's people use too). A format that shows no time of day gets no zone label.
"""

from __future__ import annotations

from flask import Flask, g

from webapp.services.scheduling import SHOWN_FORMAT, show_time


def org_zone_name() -> str:
    return getattr(g.get("org"), "timezone", None) or "UTC"


def in_zone(value, tz_name: str | None = None, fmt: str = SHOWN_FORMAT) -> str:
    """``value`` on the wall clock of ``tz_name`` (default: the organization's zone)."""
    return show_time(value, tz_name or org_zone_name(), fmt)


def register_filters(app: Flask) -> None:
    app.add_template_filter(in_zone, "in_zone")
