"""/api/v1 campaigns (create, pause, resume, cancel, progress), events (triggers) and
invitation token verification."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from webapp.api import serializers
from webapp.api.framework import (
    ApiError,
    actor_label,
    current_org,
    endpoint,
    invalid,
    json_response,
    list_page,
    not_found,
)
from webapp.api.schemas import CURSOR, DATETIME_INPUT, EMAIL, LIMIT, UUID, obj, page_of, ref
from webapp.extensions import db
from webapp.models import Campaign
from webapp.models.campaign import CampaignStatus
from webapp.services.api import campaigns as campaign_service
from webapp.services.api.validation import FieldErrors
from webapp.services.campaigns import run as campaign_run
from webapp.services.interviews import links as interview_links
from webapp.services.notify import triggers
from webapp.tenancy import get_scoped, scoped

HHMM = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
SCHEDULE = obj(
    {
        "mode": {"type": "string", "enum": ["now", "at", "local"]},
        "send_at": {**DATETIME_INPUT, "description": "for mode `at`"},
        "local_time": {**HHMM, "description": "for mode `local`: HH:MM in each recipient's zone"},
        "window": obj(
            {
                "days": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
                "start": HHMM,
                "end": HHMM,
            },
            ("days", "start", "end"),
        ),
    },
    ("mode",),
)
CAMPAIGN_INPUT = obj(
    {
        "name": {"type": "string", "maxLength": 300},
        "template_id": UUID,
        "shortlist_id": {**UUID, "description": "send to this shortlist (all, or candidate_ids)"},
        "candidate_ids": {"type": "array", "items": UUID, "maxItems": 100_000},
        "schedule": SCHEDULE,
        "start": {"type": "boolean", "default": True, "description": "false keeps a draft"},
    },
    ("template_id",),
)
CAMPAIGN_INPUT.update(
    anyOf=[
        {"required": ["shortlist_id"]},
        {"required": ["candidate_ids"], "properties": {"candidate_ids": {"minItems": 1}}},
    ],
    **{"x-error": {"field": "shortlist_id", "message": "give a shortlist_id or candidate_ids"}},
)
EVENT_INPUT = obj(
    {
        "type": {"type": "string", "minLength": 1, "maxLength": 100},
        "candidate_id": UUID,
        "email": EMAIL,
        "data": {"type": "object", "description": "fields the rule and template may use"},
    },
    ("type",),
)
EVENT_RESULT = {
    "type": "object",
    "required": ["matched_rules", "results"],
    "properties": {
        "matched_rules": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "rule_id": UUID,
                    "message_id": {"type": ["string", "null"]},
                    "digest_item_id": {"type": ["string", "null"]},
                },
            },
        },
    },
}
VERIFY_RESULT = {
    "type": "object",
    "required": ["valid"],
    "properties": {
        "valid": {"type": "boolean"},
        "reason": {"type": "string"},
        "shortlist_entry_id": UUID,
        "candidate_id": UUID,
        "response_status": {"type": "string"},
    },
}


@endpoint(
    "/campaigns",
    "POST",
    scope="send",
    tag="Campaigns",
    summary="Create a campaign from a shortlist or a list of candidates, and start it",
    body=CAMPAIGN_INPUT,
    responses={201: ref("Campaign")},
)
def create_campaign(body: dict[str, Any]):
    try:
        campaign = campaign_service.create_campaign(current_org(), body, actor_label=actor_label())
    except FieldErrors as exc:
        raise invalid(exc.errors) from None
    db.session.commit()
    return json_response(_campaign_payload(campaign), 201)


@endpoint(
    "/campaigns",
    "GET",
    scope="read",
    tag="Campaigns",
    summary="List campaigns, newest first",
    query={"limit": LIMIT, "cursor": CURSOR},
    responses={200: page_of("Campaign")},
)
def list_campaigns(query: dict[str, Any]):
    statement = scoped(select(Campaign), g.org_id)
    return list_page(statement, Campaign.id, query, serializers.campaign)


@endpoint(
    "/campaigns/<campaign_id>",
    "GET",
    scope="read",
    tag="Campaigns",
    summary="Get a campaign with its progress",
    responses={200: ref("Campaign")},
)
def get_campaign(campaign_id: str):
    return json_response(_campaign_payload(_campaign_or_404(campaign_id)))


def _campaign_action(name: str, summary: str):
    def view(campaign_id: str):
        campaign = _campaign_or_404(campaign_id)
        if name == "cancel" and campaign.status == CampaignStatus.COMPLETED.value:
            raise ApiError(409, "Conflict", "A completed campaign cannot be canceled.")
        done = getattr(campaign_run, name)(campaign, actor_label=actor_label())
        if name != "cancel" and not done:
            raise ApiError(409, "Conflict", f"A {campaign.status} campaign cannot {name}.")
        db.session.commit()
        return json_response(_campaign_payload(campaign))

    view.__name__ = f"{name}_campaign"
    endpoint(
        f"/campaigns/<campaign_id>/{name}",
        "POST",
        scope="send",
        tag="Campaigns",
        summary=summary,
        responses={200: ref("Campaign"), 409: None},
    )(view)


_campaign_action("pause", "Pause a campaign: unsent messages wait")
_campaign_action("resume", "Resume a paused campaign")
_campaign_action("cancel", "Cancel a campaign: unsent messages are canceled (idempotent)")


def _campaign_or_404(campaign_id: str) -> Campaign:
    campaign = get_scoped(Campaign, campaign_id, g.org_id)
    if campaign is None:
        raise not_found("Campaign")
    return campaign


def _campaign_payload(campaign: Campaign) -> dict[str, Any]:
    progress = campaign_run.progress(campaign)
    return serializers.campaign(campaign, progress)


@endpoint(
    "/events",
    "POST",
    scope="send",
    tag="Events",
    summary="Report an event (e.g. application.received); matching automations send email",
    body=EVENT_INPUT,
    responses={202: EVENT_RESULT},
)
def post_event(body: dict[str, Any]):
    data = dict(body.get("data") or {})
    for name in ("candidate_id", "email"):
        if body.get(name):
            data[name] = body[name]
    try:
        results = triggers.trigger_event(current_org(), body["type"], data)
    except triggers.TriggerError as exc:
        raise invalid([{"field": "data", "message": str(exc)}]) from None
    db.session.commit()
    payload = [
        {
            "rule_id": str(result.rule_id),
            "message_id": serializers.uid(result.message_id),
            "digest_item_id": serializers.uid(result.digest_item_id),
        }
        for result in results
    ]
    return json_response({"matched_rules": len(payload), "results": payload}, 202)


@endpoint(
    "/invitations/verify",
    "POST",
    scope="read",
    tag="Invitations",
    summary="Check an interview invitation token (from an /i/<token> link)",
    body=obj({"token": {"type": "string", "minLength": 1, "maxLength": 2000}}, ("token",)),
    responses={200: VERIFY_RESULT},
)
def verify_invitation(body: dict[str, Any]):
    result = interview_links.describe(body["token"])
    if result.get("valid") and result.get("org_id") != str(g.org_id):
        result = {"valid": False, "reason": "revoked or unknown"}  # another org's token
    result.pop("org_id", None)
    return json_response(result)
