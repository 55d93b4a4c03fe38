"""Templates and statistics for the API, on top of the template and stats services."""

from __future__ import annotations

from typing import Any

from webapp.models import EmailTemplate, Organization
from webapp.services.api.validation import FieldErrors, field_error
from webapp.services.rendering import BrandData, TemplateSource, render
from webapp.services.stats import metrics
from webapp.services.stats.funnel import funnel_for
from webapp.services.stats.overview import time_series
from webapp.services.stats.ranges import DateRange, parse_range
from webapp.services.templates import library as email_templates
from webapp.tenancy import parse_uuid

SOURCE_NAMES = ("subject", "preheader", "body_mjml", "body_text")


def save_template(
    org: Organization,
    template: EmailTemplate | None,
    data: dict[str, Any],
    *,
    actor_label: str,
) -> EmailTemplate:
    """Validate and store a new version; ``FieldErrors`` carry the line numbers."""
    current = template.current_version if template is not None else None
    source_values = {
        name: data.get(name, getattr(current, name, "") if current else "") or ""
        for name in SOURCE_NAMES
    }
    draft = email_templates.TemplateDraft(
        name=data.get("name") or (template.name if template else ""),
        template_type=data.get("type") or (template.type if template else "custom"),
        category=data.get("category") or (template.category if template else "updates"),
        source=TemplateSource(**source_values),
        note=data.get("note", ""),
    )
    saved, result = email_templates.save_template(
        org, template, draft, user_id=None, actor_label=actor_label
    )
    if saved is None:
        raise FieldErrors([_error_field(error) for error in result.errors])
    return saved


def _error_field(error) -> dict[str, str]:
    where = f"line {error.line}: " if error.line else ""
    field = "subject" if "subject" in error.message.lower()[:40] else "body_mjml"
    return {"field": field, "message": f"{where}{error.message}"}


def preview(org: Organization, template: EmailTemplate, context: dict[str, Any]) -> dict:
    """Render the current version with sample data overlaid by ``context``."""
    version = template.current_version
    if version is None:
        from webapp.api.framework import ApiError

        raise ApiError(409, "Conflict", "This template has no saved version yet.")
    sample, _problem = email_templates.preview_context(org)
    merged = {**sample, **_plain(context)}
    result = render(TemplateSource.from_version(version), BrandData.from_org(org), merged)
    return {
        "subject": result.subject,
        "preheader": result.preheader,
        "html": result.html,
        "text": result.text,
        "errors": [error.as_dict() for error in result.errors],
    }


def _plain(value: Any) -> Any:
    """JSON from the request is already plain data; keep only JSON types to be sure."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _period(org: Organization, query: dict[str, Any]) -> DateRange:
    period, problem = parse_range(query.get("start"), query.get("end"), org.timezone)
    if problem:
        raise field_error("start", problem)
    return period


def funnel(org: Organization, query: dict[str, Any]) -> dict[str, Any]:
    period = _period(org, query)
    campaign_id = None
    if query.get("campaign_id"):
        campaign_id = parse_uuid(query["campaign_id"])
        if campaign_id is None:
            raise field_error("campaign_id", "must be a UUID")
    result = funnel_for(org.id, period.start_utc, period.end_utc, campaign_id=campaign_id)
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "timezone": str(period.tz),
        "steps": [
            {
                "key": step.key,
                "total": step.total,
                "human": step.human,
                "of_sent": step.of_sent,
                "of_sent_human": step.of_sent_human,
            }
            for step in result.steps
        ],
        "problems": {metric: result[metric] for metric in metrics.CHART_PROBLEMS},
    }


def series(org: Organization, query: dict[str, Any]) -> dict[str, Any]:
    period = _period(org, query)
    raw = time_series(org.id, period, metrics.CHART + metrics.CHART_PROBLEMS)
    labels = raw.pop("labels")
    return {
        "granularity": "hour" if period.is_hourly else "day",
        "labels": labels,
        "series": raw,
    }
