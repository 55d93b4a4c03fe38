"""Campaigns, the record of a bulk send: the wizard's draft, the review counts and the confirm.

The draft Campaign row holds the wizard's state (job, shortlist, chosen candidates, template,
schedule), so a half-finished wizard survives a reload. Fan-out, progress and pause/resume
live in :mod:`webapp.services.campaigns.run`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import (
    Campaign,
    CampaignStatus,
    Candidate,
    EmailTemplate,
    Organization,
    ShortlistEntry,
    utcnow,
)
from webapp.services import audit, queues
from webapp.services.audience import shortlists
from webapp.services.campaigns.bulk import id_in
from webapp.services.campaigns.review import (  # noqa: F401  the wizard's review, re-exported
    Review,
    compliance_problems,
    drop_missing_data,
    load_audience,
    preview,
    review,
    unguarded_paths,
)
from webapp.services.scheduling import SCHEDULE_MODES, parse_hhmm, validate_window
from webapp.tenancy import scoped

CONFIRM_TYPED_ABOVE = 1000  # sends to more recipients need the count typed


def create_draft(
    org_id: uuid.UUID,
    *,
    job_id: uuid.UUID,
    shortlist_id: uuid.UUID | None,
    name: str,
    created_by_id: uuid.UUID | None,
) -> Campaign:
    campaign = Campaign(
        org_id=org_id,
        job_id=job_id,
        shortlist_id=shortlist_id,
        name=name[:300],
        created_by_id=created_by_id,
        candidate_ids=[],
        send_window={},
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def already_invited(org_id: uuid.UUID, shortlist_id: uuid.UUID) -> set[uuid.UUID]:
    """Candidates of this shortlist who got an invitation from an earlier campaign."""
    statement = (
        select(Campaign.candidate_ids)
        .where(Campaign.org_id == org_id, Campaign.shortlist_id == shortlist_id)
        .where(Campaign.status.notin_([CampaignStatus.DRAFT.value, CampaignStatus.CANCELED.value]))
    )
    invited: set[uuid.UUID] = set()
    for ids in db.session.scalars(statement):
        invited.update(uuid.UUID(i) for i in ids)
    return invited


@dataclass
class AudienceChoice:
    """One page of the wizard's candidate step: the rows shown, how many match, all ids."""

    rows: list[tuple[ShortlistEntry, Candidate, bool]]  # (entry, candidate, invited before)
    total: int
    statement: Any

    def all_ids(self) -> list[str]:
        columns = self.statement.with_only_columns(ShortlistEntry.candidate_id).order_by(None)
        return [str(cid) for cid in db.session.scalars(columns)]


def audience_choice(
    org_id: uuid.UUID,
    campaign: Campaign,
    *,
    query: str,
    status: str,
    exclude_invited: bool,
    limit: int,
) -> AudienceChoice:
    """Filter in SQL, so a 100,000-candidate shortlist shows its first rows at once."""
    invited = already_invited(org_id, campaign.shortlist_id)
    statement = shortlists.entries_statement(
        org_id, campaign.shortlist_id, query=query, status=status
    )
    if exclude_invited:
        statement = statement.where(ShortlistEntry.response_status == "pending")
        if invited:
            statement = statement.where(~id_in(ShortlistEntry.candidate_id, list(invited)))
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = [
        (entry, person, entry.candidate_id in invited or entry.response_status != "pending")
        for entry, person in db.session.execute(statement.limit(limit))
    ]
    return AudienceChoice(rows, total or 0, statement)


def set_audience(org_id: uuid.UUID, campaign: Campaign, candidate_ids: list[str]) -> int:
    """Keep only ids that are entries of the campaign's shortlist, in a stable order."""
    wanted = {uuid.UUID(str(i)) for i in candidate_ids}
    statement = (
        scoped(select(ShortlistEntry.candidate_id), org_id, ShortlistEntry)
        .where(ShortlistEntry.shortlist_id == campaign.shortlist_id)
        .order_by(ShortlistEntry.candidate_id)
    )
    chosen = [str(cid) for cid in db.session.scalars(statement) if cid in wanted]
    campaign.candidate_ids = chosen
    campaign.total_recipients = len(chosen)
    db.session.flush()
    return len(chosen)


def set_template(campaign: Campaign, template: EmailTemplate) -> str | None:
    if template.current_version_id is None:
        return "This template has no saved version yet: save it in the template studio first."
    campaign.template_id = template.id
    campaign.template_version_id = template.current_version_id
    campaign.category = template.category
    db.session.flush()
    return None


def set_schedule(
    campaign: Campaign,
    *,
    mode: str,
    send_at: datetime | None,
    local_time: str,
    window: dict | None,
    now: datetime,
) -> dict[str, str]:
    """Store the schedule; returns errors by field name (empty when it is fine)."""
    errors: dict[str, str] = {}
    if mode not in SCHEDULE_MODES:
        errors["mode"] = "Choose when to send."
    if mode == "at" and (send_at is None or send_at <= now):
        errors["send_at"] = "Pick a date and time in the future."
    if mode == "local":
        try:
            parse_hhmm(local_time)
        except ValueError:
            errors["local_time"] = "Give the recipients' local time as HH:MM, e.g. 09:00."
    if window:
        problems = validate_window(window)
        if problems:
            errors["window"] = " ".join(problems)
    if errors:
        return errors
    campaign.schedule_mode = mode
    campaign.send_at = send_at if mode == "at" else None
    campaign.local_time = local_time if mode == "local" else ""
    campaign.send_window = window or {}
    db.session.flush()
    return {}


def confirm(
    org: Organization,
    campaign: Campaign,
    *,
    typed_count: str,
    actor_user_id: uuid.UUID | None,
    actor_label: str,
) -> list[str]:
    """Start the send: checks C7 and the typed count, audits, enqueues fan-out after commit."""
    if campaign.status != CampaignStatus.DRAFT.value:
        return ["This campaign was already confirmed."]
    problems = compliance_problems(org, campaign)
    if not campaign.candidate_ids:
        problems.append("Choose at least one candidate.")
    total = len(campaign.candidate_ids)
    if total > CONFIRM_TYPED_ABOVE and typed_count.strip().replace(",", "") != str(total):
        problems.append(f"Type the number of recipients ({total}) to confirm a send this large.")
    if problems:
        return problems
    campaign.status = CampaignStatus.SCHEDULED.value
    campaign.total_recipients = total
    campaign.started_at = utcnow()
    audit.record(
        org.id,
        "campaign.send",
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        target_type="campaign",
        target_id=campaign.id,
        details={"recipients": total, "schedule": campaign.schedule_mode},
    )
    db.session.flush()
    after_commit(queues.enqueue_expand_campaign, campaign.id)
    return []


def list_campaigns(org_id: uuid.UUID, page: int = 1):
    from webapp.services.audience.candidates import paginate

    statement = scoped(select(Campaign), org_id).order_by(Campaign.created_at.desc())
    return paginate(statement, page, 25)


def org_templates(org_id: uuid.UUID) -> list[EmailTemplate]:
    statement = (
        scoped(select(EmailTemplate), org_id)
        .where(EmailTemplate.archived_at.is_(None))
        .order_by(EmailTemplate.name)
    )
    return list(db.session.scalars(statement))


def default_invitation(org_id: uuid.UUID, user_id: uuid.UUID | None) -> EmailTemplate:
    """The organization's invitation template, created from Herald's default when missing."""
    from webapp.services.templates import library as email_templates

    existing = email_templates.org_template_for_type(org_id, "invitation")
    if existing is not None:
        return existing
    default = email_templates.system_default("invitation")
    template = email_templates.create_template(
        org_id, name=default.name, template_type="invitation", category=default.category
    )
    email_templates.add_version(
        template,
        default.source,
        user_id=user_id,
        note="Herald's default invitation",
        source_language="en",  # the language Herald's defaults are written in
    )
    audit.record(
        org_id,
        "template.create",
        actor_user_id=user_id,
        target_type="template",
        target_id=template.id,
        details={"from": "default invitation"},
    )
    return template
