"""The messages list's filters, read from the query string (a GET form: links can be shared)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from webapp.i18n.catalogs import N_
from webapp.i18n.pages import gettext as _
from webapp.models import MessageStatus
from webapp.services.sending.actions import MessageFilters
from webapp.tenancy import parse_uuid

STATUS_CHOICES = [("", N_("Any state")), ("dead", N_("Failed or unknown"))] + [
    (s.value, s.value.capitalize()) for s in MessageStatus
]


@dataclass
class FilterForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    filters: MessageFilters = field(default_factory=MessageFilters)

    @property
    def active(self) -> bool:
        return any(self.values.values())


def _day(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Use a date like 2026-03-31.")
        return None


def parse_filters(args, timezone: str, *, status: str | None = None) -> FilterForm:
    keys = ("status", "campaign", "template", "recipient", "from", "to")
    values = {key: (args.get(key) or "").strip() for key in keys}
    if status is not None:
        values["status"] = status
    errors: dict[str, str] = {}
    if values["status"] not in {value for value, _label in STATUS_CHOICES}:
        errors["status"] = _("Choose a state from the list.")
    zone = ZoneInfo(timezone or "UTC")
    start, end = _day(values["from"], "from", errors), _day(values["to"], "to", errors)
    if start and end and end < start:
        errors["to"] = _("The end date is before the start date.")
    form = FilterForm(values, errors)
    if errors:
        return form
    form.filters = MessageFilters(
        status=values["status"],
        campaign_id=parse_uuid(values["campaign"]) if values["campaign"] else None,
        template_id=parse_uuid(values["template"]) if values["template"] else None,
        recipient=values["recipient"],
        created_from=datetime.combine(start, time(), zone) if start else None,
        created_to=datetime.combine(end + timedelta(days=1), time(), zone) if end else None,
    )
    return form
