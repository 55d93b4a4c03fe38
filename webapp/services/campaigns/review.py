"""The wizard's review: who will get the email, who is skipped and why, and the preview.

Counts: will send; suppressed (Suppression rows); opted out of the campaign's category
(Preference rows); missing data for the template. REQUIREMENTS C7 problems (no postal
address, no unsubscribe link) refuse the send. Policy is checked again at send time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Campaign,
    Candidate,
    EmailTemplate,
    Job,
    Organization,
    Preference,
    ShortlistEntry,
    Suppression,
    TemplateVersion,
)
from webapp.services.campaigns.bulk import id_in
from webapp.services.campaigns.context import preview_context, recipient_context
from webapp.services.rendering.required import (
    EMPTY,
    lookup,
    missing_values,
    template_text,
    unguarded_paths,
)
from webapp.tenancy import scoped


@dataclass
class Review:
    will_send: list[Candidate] = field(default_factory=list)
    suppressed: list[Candidate] = field(default_factory=list)
    opted_out: list[Candidate] = field(default_factory=list)
    missing_data: list[tuple[Candidate, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # C7 and template problems: refuse
    warnings: list[str] = field(default_factory=list)  # worth knowing, does not refuse
    languages: list[Any] = field(default_factory=list)  # translations.LanguageCount
    fallbacks: list[Any] = field(default_factory=list)  # translations.Fallback

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
    if org.bulk_paused_at is not None:
        result.warnings.append(
            "Bulk sending is paused for your organization"
            + (f" ({org.bulk_paused_reason})" if org.bulk_paused_reason else "")
            + ": the messages will wait until an admin resumes it."
        )
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
    _warn_odd_hours(org, campaign, result)
    if version is not None:
        from webapp.services.templates.translations import audience_languages

        sent_to = result.will_send + [candidate for candidate, _ in result.missing_data]
        result.languages, result.fallbacks = audience_languages(org, version, sent_to)
    return result


def _warn_odd_hours(org: Organization, campaign: Campaign, result: Review) -> None:
    """Interview times outside 07:00-21:00 in a recipient's own zone are worth a second look."""
    from webapp.services.interviews.times import odd_hours, warning_text

    entries = _entries_by_candidate(org.id, campaign)
    pairs = [(c, entries[c.id].interview_at) for c in result.will_send if c.id in entries]
    warning = warning_text(odd_hours(pairs))
    if warning:
        result.warnings.append(warning)


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
    the values it needs that their data leaves empty (``required.missing_values``, the rule
    API sends are held to as well), each checked against the language variant they will get.

    Recipients who get the same variant and whose contexts have the same keys and the same
    empty printed values render the same way, so one strict render per such *shape* is enough
    (fast for 100,000 recipients).
    """
    from webapp.services.rendering import BrandData, TemplateSource, render

    variant_of = _variant_chooser(org, TemplateSource.from_version(version))
    brand = BrandData.from_org(org)
    entries = _entries_by_candidate(org.id, campaign)
    job = db.session.get(Job, campaign.job_id) if campaign.job_id else None
    by_shape: dict[tuple, str] = {}
    missing: dict[uuid.UUID, str] = {}
    for candidate in audience:
        source, language, printed = variant_of(candidate.locale or "")
        entry = entries.get(candidate.id)
        # The shape comes from the recipient's own data (cheap); the full sending context
        # (links, organization, refreshed entry data) is built once per new shape.
        base = recipient_context(org, candidate, entry, job)
        own = {p for p in printed if p.split(".", 1)[0] in base}
        empty = frozenset(p for p in own if lookup(base, p) in EMPTY)
        shape = (language, _shape(base), empty, entry is None)
        if shape not in by_shape:
            full = db.session.get(ShortlistEntry, entry.id) if entry is not None else None
            context = preview_context(org, base, candidate, full)
            context["language"] = language
            result = render(source, brand, context, strict=True)
            reasons = [e.message for e in result.errors] + [
                f"No value for {p}." for p in missing_values(source, context)
            ]
            by_shape[shape] = " ".join(reasons)
        if by_shape[shape]:
            missing[candidate.id] = by_shape[shape]
    return missing


def _variant_chooser(org: Organization, source):
    """locale → (the variant a candidate with it gets, its language, the values it prints),
    chosen as sending does (``variant_for``) once per locale, analysed once per variant."""
    from webapp.services.templates.translations import variant_for

    by_locale: dict[str, tuple[Any, str, set[str]]] = {}
    printed: dict[str, set[str]] = {}

    def variant_of(locale: str) -> tuple[Any, str, set[str]]:
        if locale not in by_locale:
            variant, language = variant_for(source, org, lambda: locale)
            if language not in printed:
                printed[language] = unguarded_paths(template_text(variant))
            by_locale[locale] = (variant, language, printed[language])
        return by_locale[locale]

    return variant_of


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
    from webapp.services.templates.translations import variant_for

    context = recipient_context(org, person, entry, job) if person else {}
    source, language = variant_for(
        TemplateSource.from_version(version), org, lambda: person.locale if person else ""
    )
    full = preview_context(org, context, person, entry)
    full["language"] = language
    return render(source, BrandData.from_org(org), full)


def drop_missing_data(org: Organization, campaign: Campaign) -> int:
    """Leave out recipients whose data the template lacks; returns how many were left out."""
    missing = {str(candidate.id) for candidate, _ in review(org, campaign).missing_data}
    campaign.candidate_ids = [i for i in campaign.candidate_ids if i not in missing]
    campaign.total_recipients = len(campaign.candidate_ids)
    db.session.flush()
    return len(missing)
