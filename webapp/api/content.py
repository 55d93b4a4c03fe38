"""/api/v1 templates (list, get, create, update as a new version, preview) and statistics
(funnel and time series)."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from webapp.api import serializers
from webapp.api.framework import (
    actor_label,
    current_org,
    endpoint,
    invalid,
    json_response,
    list_page,
    not_found,
)
from webapp.api.schemas import CATEGORY, CURSOR, DATE, LIMIT, TEMPLATE_TYPE, obj, page_of, ref
from webapp.extensions import db
from webapp.models import EmailTemplate
from webapp.services.api import content as content_service
from webapp.services.api.validation import FieldErrors
from webapp.tenancy import get_scoped, scoped

SOURCE_FIELDS = {
    "subject": {"type": "string", "minLength": 1, "maxLength": 998},
    "preheader": {"type": "string", "maxLength": 500},
    "body_mjml": {"type": "string", "minLength": 1, "maxLength": 500_000},
    "body_text": {"type": "string", "maxLength": 500_000},
    "note": {"type": "string", "maxLength": 500, "description": "what changed in this version"},
}
TEMPLATE_INPUT = obj(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "type": {**TEMPLATE_TYPE, "default": "custom"},
        "category": {**CATEGORY, "default": "updates"},
        **SOURCE_FIELDS,
    },
    ("name", "subject", "body_mjml"),
)
TEMPLATE_UPDATE = obj(TEMPLATE_INPUT["properties"])
PREVIEW_INPUT = obj({"context": {"type": "object", "description": "merged over sample data"}})
PREVIEW_RESULT = {
    "type": "object",
    "required": ["subject", "html", "text", "errors"],
    "properties": {
        "subject": {"type": "string"},
        "preheader": {"type": "string"},
        "html": {"type": "string"},
        "text": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": ["integer", "null"]},
                    "message": {"type": "string"},
                    "kind": {"type": "string"},
                },
            },
        },
    },
}
DAY = {**DATE, "description": "local day, YYYY-MM-DD; give start and end together"}
RANGE_QUERY = {"start": DAY, "end": DAY}
FUNNEL_RESULT = {
    "type": "object",
    "required": ["start", "end", "timezone", "steps", "problems"],
    "properties": {
        "start": {"type": "string"},
        "end": {"type": "string"},
        "timezone": {"type": "string"},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "total": {"type": "integer"},
                    "human": {"type": "integer"},
                    "of_sent": {"type": ["number", "null"]},
                    "of_sent_human": {"type": ["number", "null"]},
                },
            },
        },
        "problems": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
SERIES_RESULT = {
    "type": "object",
    "required": ["granularity", "labels", "series"],
    "properties": {
        "granularity": {"type": "string", "enum": ["hour", "day"]},
        "labels": {"type": "array", "items": {"type": "string"}},
        "series": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "integer"}},
        },
    },
}


def _field_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except FieldErrors as exc:
        raise invalid(exc.errors) from None


@endpoint(
    "/templates",
    "GET",
    scope="read",
    tag="Templates",
    summary="List templates, newest first",
    query={"type": TEMPLATE_TYPE, "limit": LIMIT, "cursor": CURSOR},
    responses={200: page_of("Template")},
)
def list_templates(query: dict[str, Any]):
    statement = scoped(select(EmailTemplate), g.org_id).where(EmailTemplate.archived_at.is_(None))
    if query.get("type"):
        statement = statement.where(EmailTemplate.type == query["type"])
    return list_page(statement, EmailTemplate.id, query, serializers.template)


@endpoint(
    "/templates/<template_id>",
    "GET",
    scope="read",
    tag="Templates",
    summary="Get a template and its current version",
    responses={200: ref("Template")},
)
def get_template(template_id: str):
    return json_response(serializers.template(_template_or_404(template_id)))


@endpoint(
    "/templates",
    "POST",
    scope="manage",
    tag="Templates",
    summary="Create a template (validated; errors come back with line numbers)",
    body=TEMPLATE_INPUT,
    responses={201: ref("Template")},
)
def create_template(body: dict[str, Any]):
    template = _field_errors(
        content_service.save_template, current_org(), None, body, actor_label=actor_label()
    )
    db.session.commit()
    return json_response(serializers.template(template), 201)


@endpoint(
    "/templates/<template_id>",
    "PUT",
    scope="manage",
    tag="Templates",
    summary="Save a new version of a template (fields not given are kept)",
    body=TEMPLATE_UPDATE,
    responses={200: ref("Template")},
)
def update_template(template_id: str, body: dict[str, Any]):
    template = _template_or_404(template_id)
    _field_errors(
        content_service.save_template, current_org(), template, body, actor_label=actor_label()
    )
    db.session.commit()
    return json_response(serializers.template(template))


@endpoint(
    "/templates/<template_id>/preview",
    "POST",
    scope="read",
    tag="Templates",
    summary="Render the current version with a context (nothing is sent)",
    body=PREVIEW_INPUT,
    responses={200: PREVIEW_RESULT, 409: None},
)
def preview_template(template_id: str, body: dict[str, Any]):
    template = _template_or_404(template_id)
    result = content_service.preview(current_org(), template, body.get("context") or {})
    return json_response(result)


def _template_or_404(template_id: str) -> EmailTemplate:
    template = get_scoped(EmailTemplate, template_id, g.org_id)
    if template is None or template.archived_at is not None:
        raise not_found("Template")
    return template


@endpoint(
    "/stats/funnel",
    "GET",
    scope="read",
    tag="Statistics",
    summary="Sent, delivered, opened and clicked (human and total) for a date range",
    query={**RANGE_QUERY, "campaign_id": {"type": "string", "maxLength": 64}},
    responses={200: FUNNEL_RESULT},
)
def stats_funnel(query: dict[str, Any]):
    return json_response(_field_errors(content_service.funnel, current_org(), query))


@endpoint(
    "/stats/timeseries",
    "GET",
    scope="read",
    tag="Statistics",
    summary="Per hour (ranges up to a few days) or per local day counts of each metric",
    query=RANGE_QUERY,
    responses={200: SERIES_RESULT},
)
def stats_timeseries(query: dict[str, Any]):
    return json_response(_field_errors(content_service.series, current_org(), query))
