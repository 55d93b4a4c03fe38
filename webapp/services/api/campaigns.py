"""Creating and starting a campaign in one API call, from a shortlist or a recipient list.

The dashboard walks through steps (audience, template, schedule, review, confirm); the API
takes them together and runs the same service functions, so the same checks apply
(compliance, schedule validation, suppressed and opted-out recipients skipped at send time).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Campaign, Candidate, EmailTemplate, Organization, Shortlist, utcnow
from webapp.services.api.validation import FieldErrors, field_error, parse_datetime
from webapp.services.campaigns import drafts as campaigns
from webapp.tenancy import get_scoped, parse_uuid, scoped


def create_campaign(org: Organization, spec: dict[str, Any], *, actor_label: str) -> Campaign:
    """Validate ``spec``, create the campaign and, unless ``start`` is false, confirm it."""
    shortlist = _shortlist(org.id, spec)
    template = get_scoped(EmailTemplate, spec["template_id"], org.id)
    if template is None or template.archived_at is not None:
        raise field_error("template_id", "no such template in this organization")
    campaign = campaigns.create_draft(
        org.id,
        job_id=shortlist.job_id if shortlist else None,
        shortlist_id=shortlist.id if shortlist else None,
        name=spec.get("name") or template.name,
        created_by_id=None,
    )
    _set_audience(org.id, campaign, shortlist, spec.get("candidate_ids"))
    problem = campaigns.set_template(campaign, template)
    if problem:
        raise field_error("template_id", problem)
    _set_schedule(campaign, spec.get("schedule") or {"mode": "now"})
    if spec.get("start", True):
        problems = campaigns.confirm(
            org,
            campaign,
            typed_count=str(len(campaign.candidate_ids)),
            actor_user_id=None,
            actor_label=actor_label,
        )
        if problems:
            raise FieldErrors([{"field": "campaign", "message": text} for text in problems])
    return campaign


def _shortlist(org_id: uuid.UUID, spec: dict[str, Any]) -> Shortlist | None:
    if not spec.get("shortlist_id"):
        if not spec.get("candidate_ids"):
            raise field_error("shortlist_id", "give a shortlist_id or a list of candidate_ids")
        return None
    shortlist = get_scoped(Shortlist, spec["shortlist_id"], org_id)
    if shortlist is None:
        raise field_error("shortlist_id", "no such shortlist in this organization")
    return shortlist


def _set_audience(
    org_id: uuid.UUID, campaign: Campaign, shortlist: Shortlist | None, ids: list[str] | None
) -> None:
    wanted = [parsed for parsed in map(parse_uuid, ids or []) if parsed]
    if shortlist is not None:
        if ids is None:
            wanted = [entry.candidate_id for entry in shortlist.entries]
        chosen = campaigns.set_audience(org_id, campaign, [str(i) for i in wanted])
    else:
        found = db.session.scalars(
            scoped(select(Candidate.id), org_id, Candidate)
            .where(Candidate.id.in_(wanted), Candidate.erased_at.is_(None))
            .order_by(Candidate.id)
        )
        campaign.candidate_ids = [str(i) for i in found]
        campaign.total_recipients = chosen = len(campaign.candidate_ids)
    if not chosen:
        raise field_error("candidate_ids", "none of these candidates can receive this campaign")


def _set_schedule(campaign: Campaign, schedule: dict[str, Any]) -> None:
    send_at = (
        parse_datetime(schedule["send_at"], "schedule.send_at") if schedule.get("send_at") else None
    )
    errors = campaigns.set_schedule(
        campaign,
        mode=schedule.get("mode", "now"),
        send_at=send_at,
        local_time=schedule.get("local_time", ""),
        window=schedule.get("window") or None,
        now=utcnow(),
    )
    if errors:
        raise FieldErrors(
            [{"field": f"schedule.{name}", "message": text} for name, text in errors.items()]
        )
