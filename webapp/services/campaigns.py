"""Campaigns, the record of a bulk send: the wizard's draft, the review counts and the confirm.

The draft Campaign row holds the wizard's state (job, shortlist, chosen candidates, template,
schedule), so a half-finished wizard survives a reload. Fan-out, progress and pause/resume
live in :mod:`webapp.services.campaign_run`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
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
    Job,
    Organization,
    Preference,
    ShortlistEntry,
    Suppression,
    TemplateVersion,
    utcnow,
)
from webapp.services import audit, shortlists
from webapp.services.campaign_bulk import id_in
from webapp.services.campaign_context import preview_context, recipient_context
from webapp.services.scheduling import SCHEDULE_MODES, parse_hhmm, validate_window
from webapp.tenancy import scoped

CONFIRM_TYPED_ABOVE = 1000  # sends to more recipients need the count typed
LIST_LIMIT = 500  # names shown behind each review count
BULK_CATEGORIES_NEEDING_UNSUBSCRIBE = (
    "invitations",
    "reminders",
    "updates",
    "digests",
    "marketing",
)


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


@dataclass
class Review:
    will_send: list[Candidate] = field(default_factory=list)
    suppressed: list[Candidate] = field(default_factory=list)
    opted_out: list[Candidate] = field(default_factory=list)
    missing_data: list[tuple[Candidate, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # C7 and template problems: refuse

    @property
    def total(self) -> int:
        return (
            len(self.will_send)
            + len(self.suppressed)
            + len(self.opted_out)
            + len(self.missing_data)
        )


def load_audience(org_id: uuid.UUID, campaign: Campaign) -> list[Candidate]:
    ids = [uuid.UUID(i) for i in campaign.candidate_ids]
    found: list[Candidate] = []
    for start in range(0, len(ids), 10_000):
        statement = scoped(select(Candidate), org_id).where(
            id_in(Candidate.id, ids[start : start + 10_000])
        )
        found.extend(db.session.scalars(statement))
    return sorted(found, key=lambda c: (c.last_name.lower(), c.email))


def review(org: Organization, campaign: Campaign) -> Review:
    """The counts and lists the admin confirms (policy re-checks everything at send time)."""
    result = Review(problems=compliance_problems(org, campaign))
    audience = load_audience(org.id, campaign)
    emails = [c.email for c in audience]
    suppressed = _suppressed(org.id, emails)
    opted_out = _opted_out(org.id, emails, campaign.category)
    version = (
        db.session.get(TemplateVersion, campaign.template_version_id)
        if campaign.template_version_id
        else None
    )
    missing = _missing_data(org, campaign, audience, version) if version else {}
    for candidate in audience:
        if candidate.email in suppressed:
            result.suppressed.append(candidate)
        elif candidate.email in opted_out:
            result.opted_out.append(candidate)
        elif candidate.id in missing:
            result.missing_data.append((candidate, missing[candidate.id]))
        else:
            result.will_send.append(candidate)
    return result


def _suppressed(org_id: uuid.UUID, emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 5000):
        statement = select(Suppression.email).where(
            Suppression.org_id == org_id, Suppression.email.in_(emails[start : start + 5000])
        )
        found.update(db.session.scalars(statement))
    return found


def _opted_out(org_id: uuid.UUID, emails: list[str], category: str) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 5000):
        statement = select(Preference).where(
            Preference.org_id == org_id, Preference.email.in_(emails[start : start + 5000])
        )
        for pref in db.session.scalars(statement):
            if pref.unsubscribed_all or category in (pref.opted_out_categories or []):
                found.add(pref.email)
    return found


def _missing_data(org, campaign, audience, version) -> dict[uuid.UUID, str]:
    """Recipients the template cannot be filled for: unknown variables (strict render) and
    empty values the template prints without an ``{% if %}`` around them.

    Recipients whose contexts have the same keys and the same empty printed values render the
    same way, so one strict render per such *shape* is enough (fast for 100,000 recipients).
    """
    from webapp.services.rendering import BrandData, TemplateSource, render

    source, brand = TemplateSource.from_version(version), BrandData.from_org(org)
    printed = unguarded_paths(version.subject + "\n" + version.body_mjml)
    entries = _entries_by_candidate(org.id, campaign)
    job = db.session.get(Job, campaign.job_id) if campaign.job_id else None
    by_shape: dict[tuple, str] = {}
    missing: dict[uuid.UUID, str] = {}
    for candidate in audience:
        entry = entries.get(candidate.id)
        # The shape comes from the recipient's own data (cheap); the full sending context
        # (links, organization, refreshed entry data) is built once per new shape.
        base = recipient_context(org, candidate, entry, job)
        own = {p for p in printed if p.split(".", 1)[0] in base}
        empty = frozenset(p for p in own if _lookup(base, p) in ("", None, [], {}))
        shape = (_shape(base), empty)
        if shape not in by_shape:
            full = db.session.get(ShortlistEntry, entry.id) if entry is not None else None
            context = preview_context(org, base, candidate, full)
            empty |= {p for p in printed - own if _lookup(context, p) in ("", None, [], {})}
            result = render(source, brand, context, strict=True)
            reasons = [e.message for e in result.errors] + [
                f"No value for {p}." for p in sorted(empty)
            ]
            by_shape[shape] = " ".join(reasons)
        if by_shape[shape]:
            missing[candidate.id] = by_shape[shape]
    return missing


_PRINTED = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
_TESTED = re.compile(r"\{%-?\s*(?:if|elif)\b([^%]*)%\}")
_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def unguarded_paths(source: str) -> set[str]:
    """Dotted variables printed with ``{{ … }}`` that no ``{% if %}`` in the source tests."""
    tested = {p for condition in _TESTED.findall(source) for p in _PATH.findall(condition)}
    return {p for p in _PRINTED.findall(source) if p not in tested}


def _lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _shape(context: dict[str, Any], prefix: str = "") -> frozenset:
    keys = set()
    for key, value in context.items():
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= _shape(value, f"{prefix}{key}.")
    return frozenset(keys)


def _entries_by_candidate(org_id: uuid.UUID, campaign: Campaign) -> dict[uuid.UUID, Any]:
    """The shortlist's entries as plain rows (attribute access, no ORM objects: fast)."""
    if not campaign.shortlist_id:
        return {}
    columns = [ShortlistEntry.__table__.c[name] for name in ENTRY_COLUMNS]
    statement = select(*columns).where(
        ShortlistEntry.org_id == org_id, ShortlistEntry.shortlist_id == campaign.shortlist_id
    )
    return {row.candidate_id: row for row in db.session.execute(statement)}


ENTRY_COLUMNS = (
    "id", "candidate_id", "interview_at", "duration_minutes", "location", "video_url",
    "offered_slots", "response_status",
)  # fmt: skip


def compliance_problems(org: Organization, campaign: Campaign) -> list[str]:
    """REQUIREMENTS C7: why a bulk send must be refused (empty when it may go)."""
    problems = []
    if not (org.postal_address or "").strip():
        problems.append(
            "Your organization has no postal address. Bulk email must show one: add it in "
            "Settings → Organization."
        )
    if campaign.template_version_id is None:
        problems.append("Choose a template with a saved version.")
    elif not _has_unsubscribe_link(org, campaign):
        problems.append(
            "The template has no unsubscribe link. Add {{ unsubscribe_url }} to it (or keep the "
            "brand footer, which includes one)."
        )
    return problems


def _has_unsubscribe_link(org: Organization, campaign: Campaign) -> bool:
    from webapp.services.rendering import BrandData, TemplateSource, render

    version = db.session.get(TemplateVersion, campaign.template_version_id)
    marker = "https://unsubscribe.check.invalid/u/marker"
    context = preview_context(org, {"candidate": {}, "job": {}, "interview": {}})
    context["unsubscribe_url"] = marker
    result = render(TemplateSource.from_version(version), BrandData.from_org(org), context)
    return marker in result.html


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
    from jobs.campaigns import enqueue_expand

    after_commit(enqueue_expand, campaign.id)
    return []


def list_campaigns(org_id: uuid.UUID, page: int = 1):
    from webapp.services.candidates import paginate

    statement = scoped(select(Campaign), org_id).order_by(Campaign.created_at.desc())
    return paginate(statement, page, 25)


def org_templates(org_id: uuid.UUID) -> list[EmailTemplate]:
    statement = (
        scoped(select(EmailTemplate), org_id)
        .where(EmailTemplate.archived_at.is_(None))
        .order_by(EmailTemplate.name)
    )
    return list(db.session.scalars(statement))


def preview(
    org: Organization, campaign: Campaign, template: EmailTemplate, person: Candidate | None
):
    """Render ``template`` for one chosen recipient (or the first one) with the send's data."""
    from webapp.services.rendering import BrandData, RenderResult, TemplateSource, render

    version = (
        db.session.get(TemplateVersion, template.current_version_id)
        if template.current_version_id
        else None
    )
    if version is None:
        return RenderResult("", "", "", "", warnings=["This template has no saved version yet."])
    if person is None:
        audience = load_audience(org.id, campaign)
        person = audience[0] if audience else None
    row = _entries_by_candidate(org.id, campaign).get(person.id) if person else None
    entry = db.session.get(ShortlistEntry, row.id) if row is not None else None
    job = db.session.get(Job, campaign.job_id) if campaign.job_id else None
    context = recipient_context(org, person, entry, job) if person else {}
    return render(
        TemplateSource.from_version(version),
        BrandData.from_org(org),
        preview_context(org, context, person, entry),
    )


def drop_missing_data(org: Organization, campaign: Campaign) -> int:
    """Leave out recipients whose data the template lacks; returns how many were left out."""
    missing = {str(candidate.id) for candidate, _ in review(org, campaign).missing_data}
    campaign.candidate_ids = [i for i in campaign.candidate_ids if i not in missing]
    campaign.total_recipients = len(campaign.candidate_ids)
    db.session.flush()
    return len(missing)


def default_invitation(org_id: uuid.UUID, user_id: uuid.UUID | None) -> EmailTemplate:
    """The organization's invitation template, created from Herald's default when missing."""
    from webapp.services import email_templates

    existing = email_templates.org_template_for_type(org_id, "invitation")
    if existing is not None:
        return existing
    default = email_templates.system_default("invitation")
    template = email_templates.create_template(
        org_id, name=default.name, template_type="invitation", category=default.category
    )
    email_templates.add_version(
        template, default.source, user_id=user_id, note="Herald's default invitation"
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
