"""/api/v1 suppressions, recipient preferences and outgoing webhook endpoints."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy import select

from webapp.api import serializers
from webapp.api.framework import (
    actor_label,
    endpoint,
    invalid,
    json_response,
    list_page,
    not_found,
)
from webapp.api.schemas import CURSOR, EMAIL, LIMIT, obj, page_of, ref
from webapp.extensions import db
from webapp.models import Suppression, WebhookEndpoint
from webapp.models.suppression import SUPPRESSION_REASONS
from webapp.services import audit, egress
from webapp.services.api.validation import FieldErrors, clean_email
from webapp.services.consent import preferences, suppressions
from webapp.services.notify import webhooks as outgoing_webhooks
from webapp.tenancy import get_scoped, scoped

SUPPRESSION_INPUT = obj(
    {
        "email": EMAIL,
        "reason": {"type": "string", "enum": list(SUPPRESSION_REASONS), "default": "manual"},
        "note": {"type": "string", "maxLength": 1000},
    },
    ("email",),
)
PREFERENCE_INPUT = obj(
    {
        "subscribed_categories": {
            "type": "array",
            "items": {"type": "string", "enum": list(preferences.CATEGORY_KEYS)},
            "description": "an empty list unsubscribes from everything",
        },
        "digest_frequency": {"type": "string", "enum": list(preferences.DIGEST_FREQUENCIES)},
    },
    ("subscribed_categories",),
)
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[^/?#@\\%:\[\]\s\x00-\x1f\x7f]+)"
URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://" + _HOST + r"(?::[1-9][0-9]{0,3})?(?:[/?#][^\\\s\x00-\x1f\x7f]*)?$"
)
WEBHOOK_INPUT = obj(
    {
        "url": {
            "type": "string",
            "format": "uri",
            "pattern": URL_PATTERN,
            "minLength": 8,
            "maxLength": 2000,
            "description": "http(s), at a public address (unless the deployment allows private)",
        },
        "description": {"type": "string", "maxLength": 300},
        "event_types": {
            "type": "array",
            "items": {"type": "string", "enum": list(outgoing_webhooks.OUTGOING_EVENT_TYPES)},
            "description": "empty: every event",
        },
        "is_enabled": {"type": "boolean"},
    },
)
WEBHOOK_CREATE = {**WEBHOOK_INPUT, "required": ["url"]}


def _email(value: str) -> str:
    try:
        return clean_email(value)
    except FieldErrors as exc:
        raise invalid(exc.errors) from None


@endpoint(
    "/suppressions",
    "GET",
    scope="read",
    tag="Suppressions",
    summary="List suppressed addresses, newest first",
    query={
        "reason": {"type": "string", "enum": list(SUPPRESSION_REASONS)},
        "limit": LIMIT,
        "cursor": CURSOR,
    },
    responses={200: page_of("Suppression")},
)
def list_suppressions(query: dict[str, Any]):
    statement = scoped(select(Suppression), g.org_id)
    if query.get("reason"):
        statement = statement.where(Suppression.reason == query["reason"])
    return list_page(statement, Suppression.id, query, serializers.suppression)


@endpoint(
    "/suppressions",
    "POST",
    scope="manage",
    tag="Suppressions",
    summary="Suppress an address: nothing more is sent to it",
    body=SUPPRESSION_INPUT,
    responses={200: ref("Suppression"), 201: ref("Suppression")},
)
def add_suppression(body: dict[str, Any]):
    email = _email(body["email"])
    row, created = suppressions.suppress(
        g.org_id, email, body.get("reason", "manual"), note=body.get("note", "")
    )
    audit.record(g.org_id, "suppression.add", actor_label=actor_label(), target_type="suppression")
    db.session.commit()
    return json_response(serializers.suppression(row), 201 if created else 200)


@endpoint(
    "/suppressions/<email>",
    "DELETE",
    scope="manage",
    tag="Suppressions",
    summary="Remove an address from the suppression list",
    responses={204: None},
)
def delete_suppression(email: str):
    if not suppressions.unsuppress(g.org_id, email):
        raise not_found("Suppression")
    audit.record(
        g.org_id, "suppression.remove", actor_label=actor_label(), target_type="suppression"
    )
    db.session.commit()
    return "", 204


@endpoint(
    "/preferences/<email>",
    "GET",
    scope="read",
    tag="Preferences",
    summary="What a recipient chose to receive",
    responses={200: ref("Preference"), 422: None},
)
def get_preferences(email: str):
    return json_response(_preference_payload(_email(email)))


@endpoint(
    "/preferences/<email>",
    "PUT",
    scope="manage",
    tag="Preferences",
    summary="Set the categories a recipient receives",
    body=PREFERENCE_INPUT,
    responses={200: ref("Preference")},
)
def put_preferences(email: str, body: dict[str, Any]):
    address = _email(email)
    preferences.update_preferences(
        g.org_id,
        address,
        subscribed_categories=body["subscribed_categories"],
        digest_frequency=body.get("digest_frequency", "off"),
    )
    db.session.commit()
    return json_response(_preference_payload(address))


def _preference_payload(email: str) -> dict[str, Any]:
    data = preferences.get_preferences(g.org_id, email)
    return {
        "email": data["email"],
        "opted_out_categories": list(data["opted_out_categories"]),
        "subscribed_categories": list(data.get("subscribed_categories", [])),
        "unsubscribed_all": bool(data["unsubscribed_all"]),
        "digest_frequency": data.get("digest_frequency", "off"),
    }


@endpoint(
    "/webhook-endpoints",
    "GET",
    scope="manage",
    tag="Webhooks",
    summary="List webhook endpoints",
    query={"limit": LIMIT, "cursor": CURSOR},
    responses={200: page_of("WebhookEndpoint")},
)
def list_webhook_endpoints(query: dict[str, Any]):
    statement = scoped(select(WebhookEndpoint), g.org_id)
    return list_page(statement, WebhookEndpoint.id, query, serializers.webhook_endpoint)


@endpoint(
    "/webhook-endpoints",
    "POST",
    scope="manage",
    tag="Webhooks",
    summary="Register an endpoint; the signing secret is in this response only",
    body=WEBHOOK_CREATE,
    responses={201: ref("WebhookEndpoint")},
)
def create_webhook_endpoint(body: dict[str, Any]):
    _check_url(body["url"])
    row = outgoing_webhooks.create_endpoint(
        g.org_id,
        url=body["url"],
        description=body.get("description", ""),
        event_types=body.get("event_types", []),
    )
    if body.get("is_enabled") is False:
        row.is_enabled = False
    _audit_webhook("webhook.create", row)
    db.session.commit()
    secret = outgoing_webhooks.endpoint_secret(row)
    return json_response(serializers.webhook_endpoint(row, secret=secret), 201)


@endpoint(
    "/webhook-endpoints/<endpoint_id>",
    "GET",
    scope="manage",
    tag="Webhooks",
    summary="Get a webhook endpoint",
    responses={200: ref("WebhookEndpoint")},
)
def get_webhook_endpoint(endpoint_id: str):
    return json_response(serializers.webhook_endpoint(_endpoint_or_404(endpoint_id)))


@endpoint(
    "/webhook-endpoints/<endpoint_id>",
    "PATCH",
    scope="manage",
    tag="Webhooks",
    summary="Change an endpoint's URL, events, or enable/disable it",
    body=WEBHOOK_INPUT,
    responses={200: ref("WebhookEndpoint")},
)
def update_webhook_endpoint(endpoint_id: str, body: dict[str, Any]):
    row = _endpoint_or_404(endpoint_id)
    if "url" in body:
        _check_url(body["url"])
        row.url = body["url"].strip()
    if "description" in body:
        row.description = body["description"].strip()
    if "event_types" in body:
        row.event_types = list(dict.fromkeys(body["event_types"]))
    if body.get("is_enabled") is True:
        outgoing_webhooks.enable_endpoint(row)
    elif body.get("is_enabled") is False:
        row.is_enabled = False
    _audit_webhook("webhook.update", row)
    db.session.commit()
    return json_response(serializers.webhook_endpoint(row))


@endpoint(
    "/webhook-endpoints/<endpoint_id>",
    "DELETE",
    scope="manage",
    tag="Webhooks",
    summary="Delete a webhook endpoint",
    responses={204: None},
)
def delete_webhook_endpoint(endpoint_id: str):
    row = _endpoint_or_404(endpoint_id)
    _audit_webhook("webhook.delete", row)
    db.session.delete(row)
    db.session.commit()
    return "", 204


def _endpoint_or_404(endpoint_id: str) -> WebhookEndpoint:
    row = get_scoped(WebhookEndpoint, endpoint_id, g.org_id)
    if row is None:
        raise not_found("Webhook endpoint")
    return row


def _check_url(url: str) -> None:
    allow_private = current_app.config["HERALD"].webhook_allow_private
    problem = egress.registration_problem(url.strip(), allow_private=allow_private)
    if problem:
        raise invalid([{"field": "url", "message": problem}])


def _audit_webhook(action: str, row: WebhookEndpoint) -> None:
    audit.record(
        g.org_id,
        action,
        actor_label=actor_label(),
        target_type="webhook_endpoint",
        target_id=row.id,
        details={"url": row.url},
    )
