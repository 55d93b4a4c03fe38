"""Organization templates, their immutable versions, and the system defaults they fall back to.

System defaults live in ``templates/emails/<type>.mjml``: a few ``key: value`` header lines
(name, category, subject, preheader), a line ``---``, then the MJML body fragment that goes
into the shared brand layout.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Brand, Candidate, EmailTemplate, Job, Organization, TemplateVersion
from webapp.models.base import utcnow
from webapp.models.template import TEMPLATE_TYPES
from webapp.services import audit
from webapp.services.attachments.storage import copy_attachments
from webapp.services.rendering.mjml import EMAILS_DIR
from webapp.services.rendering.types import BrandData, RenderResult, TemplateSource
from webapp.services.rendering.validate import validate
from webapp.services.rendering.variables import sample_context
from webapp.services.templates.context_data import candidate_data, job_data
from webapp.tenancy import get_scoped, scoped

BULK_CATEGORIES = ("marketing", "digests", "invitations")


@dataclass(frozen=True)
class SystemDefault:
    type: str
    name: str
    category: str
    source: TemplateSource


@lru_cache(maxsize=len(TEMPLATE_TYPES))
def system_default(template_type: str) -> SystemDefault:
    kind = template_type if template_type in TEMPLATE_TYPES else "custom"
    raw = (EMAILS_DIR / f"{kind}.mjml").read_text(encoding="utf-8")
    header, body = raw.split("\n---\n", 1)
    meta = dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)
    digest = hashlib.blake2b(raw.encode("utf-8"), digest_size=8).hexdigest()
    source = TemplateSource(
        subject=meta.get("subject", ""),
        preheader=meta.get("preheader", ""),
        body_mjml=body,
        revision=f"system:{kind}:{digest}",
    )
    return SystemDefault(kind, meta.get("name", kind), meta.get("category", "updates"), source)


def org_template_for_type(org_id: uuid.UUID, template_type: str) -> EmailTemplate | None:
    """The organization's own template of a type (the most recently updated one in use)."""
    statement = scoped(select(EmailTemplate), org_id).where(
        EmailTemplate.type == template_type,
        EmailTemplate.archived_at.is_(None),
        EmailTemplate.current_version_id.is_not(None),
    )
    return db.session.scalars(statement.order_by(EmailTemplate.updated_at.desc())).first()


def resolve_template(
    org_id: uuid.UUID, template_type: str
) -> tuple[TemplateVersion | None, TemplateSource]:
    """The version to use for a type: the organization's override, else the system default."""
    template = org_template_for_type(org_id, template_type)
    if template is not None and template.current_version is not None:
        return template.current_version, TemplateSource.from_version(template.current_version)
    return None, system_default(template_type).source


def list_templates(org_id: uuid.UUID, *, include_archived: bool = False) -> list[EmailTemplate]:
    statement = scoped(select(EmailTemplate), org_id)
    if not include_archived:
        statement = statement.where(EmailTemplate.archived_at.is_(None))
    return list(db.session.scalars(statement.order_by(EmailTemplate.name)))


def list_versions(template: EmailTemplate) -> list[TemplateVersion]:
    statement = scoped(select(TemplateVersion), template.org_id).where(
        TemplateVersion.template_id == template.id
    )
    return list(db.session.scalars(statement.order_by(TemplateVersion.number.desc())))


def create_template(
    org_id: uuid.UUID, *, name: str, template_type: str, category: str
) -> EmailTemplate:
    template = EmailTemplate(org_id=org_id, name=name, type=template_type, category=category)
    db.session.add(template)
    db.session.flush()
    return template


def add_version(
    template: EmailTemplate,
    source: TemplateSource,
    *,
    user_id: uuid.UUID | None,
    note: str = "",
    attachments_from: uuid.UUID | None = None,
    languages_from: TemplateVersion | None = None,
    source_language: str | None = None,
) -> TemplateVersion:
    """Append an immutable version and make it current (callers validate first). It carries
    the files of ``attachments_from``, by default those of the version it follows, and keeps
    the translations and source language of ``languages_from`` (default: the current one)."""
    from webapp.services.templates import translations

    files_from = attachments_from or template.current_version_id
    previous = languages_from or template.current_version
    last = db.session.scalar(
        select(func.max(TemplateVersion.number)).where(TemplateVersion.template_id == template.id)
    )
    version = TemplateVersion(
        org_id=template.org_id,
        template_id=template.id,
        number=(last or 0) + 1,
        subject=source.subject,
        preheader=source.preheader,
        body_mjml=source.body_mjml,
        body_text=source.body_text,
        created_by_id=user_id,
        note=note[:500],
    )
    db.session.add(version)
    db.session.flush()
    translations.carry_over(previous, version, source_language=source_language)
    template.current_version = version
    template.updated_at = utcnow()
    db.session.flush()
    copy_attachments(files_from, version)
    return version


def restore_version(
    template: EmailTemplate, version: TemplateVersion, *, user_id: uuid.UUID | None
) -> TemplateVersion:
    """Restoring never rewrites history: it adds a new version with the old content."""
    return add_version(
        template,
        TemplateSource.from_version(version),
        user_id=user_id,
        note=f"Restored from version {version.number}",
        attachments_from=version.id,
        languages_from=version,
    )


# --- previews -----------------------------------------------------------------------------

MAX_SAMPLE_JSON = 20_000


def preview_context(
    org: Organization,
    *,
    candidate_id: str = "",
    job_id: str = "",
    sample_json: str = "",
    language: str = "",
) -> tuple[dict[str, Any], str]:
    """Context for a preview: the sample, a real candidate/job of ``org``, or pasted JSON,
    read in ``language`` (the variant previewed) when one is given.

    Returns the context and a message for the author when their choice could not be used.
    """
    context = sample_context(_org_overrides(org))
    problem = ""
    if sample_json.strip():
        overrides, problem = _parse_sample_json(sample_json)
        context = sample_context({**_org_overrides(org), **overrides})
    candidate = get_scoped(Candidate, candidate_id, org) if candidate_id else None
    job = get_scoped(Job, job_id, org) if job_id else None
    if candidate is not None:
        context["candidate"] = candidate_data(candidate)
        context["recipient"] = {
            "email": candidate.email,
            "name": candidate.full_name,
            "timezone": candidate.timezone or org.timezone,
            "locale": candidate.locale or org.locale,
        }
    if job is not None:
        context["job"] = job_data(job)
    if language:
        in_language(context, language)
    return context, problem


def in_language(context: dict[str, Any], language: str) -> None:
    """Make ``context`` the one an email in ``language`` is sent with: its ``language`` (the
    catalogs' words) and a recipient who reads it (the date and money filters follow the
    recipient's locale; one in the same language, ``fr-CA`` for ``fr``, is kept)."""
    from webapp.services.languages import base

    context["language"] = language
    recipient = context.get("recipient")
    if isinstance(recipient, dict) and base(str(recipient.get("locale") or "")) != base(language):
        recipient["locale"] = language


def _org_overrides(org: Organization) -> dict[str, Any]:
    return {
        "org": {"name": org.name, "postal_address": org.postal_address or ""},
        "sender_name": org.sender_name or org.name,
    }


def _parse_sample_json(raw: str) -> tuple[dict[str, Any], str]:
    if len(raw) > MAX_SAMPLE_JSON:
        return {}, f"The sample JSON is over {MAX_SAMPLE_JSON:,} characters."
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"Sample JSON, line {exc.lineno}: {exc.msg}."
    if not isinstance(data, dict):
        return {}, 'The sample JSON must be an object, e.g. {"candidate": {"first_name": "Ada"}}.'
    return data, ""


def sample_people(org_id: uuid.UUID, limit: int = 50) -> tuple[list[Candidate], list[Job]]:
    """Candidates and jobs the preview can use as sample data (most recent first)."""
    candidates = db.session.scalars(
        scoped(select(Candidate), org_id)
        .where(Candidate.erased_at.is_(None))
        .order_by(Candidate.created_at.desc())
        .limit(limit)
    )
    jobs = db.session.scalars(
        scoped(select(Job), org_id).order_by(Job.created_at.desc()).limit(limit)
    )
    return list(candidates), list(jobs)


# --- saving, restoring, comparing ----------------------------------------------------------


@dataclass
class TemplateDraft:
    name: str
    template_type: str
    category: str
    source: TemplateSource
    note: str = ""


def save_template(
    org: Organization,
    template: EmailTemplate | None,
    draft: TemplateDraft,
    *,
    user_id: uuid.UUID | None,
    actor_label: str,
) -> tuple[EmailTemplate | None, RenderResult]:
    """Validate ``draft``; when it is clean, store it as a new version (and the template)."""
    result = validate(draft.source, BrandData.from_org(org), category=draft.category)
    if result.errors:
        return None, result
    action, source_language = "template.update", None
    if template is None:
        template = create_template(
            org.id, name=draft.name, template_type=draft.template_type, category=draft.category
        )
        action = "template.create"
        source_language = _organization_language(org)  # written in the org's language
    template.name, template.type, template.category = (
        draft.name,
        draft.template_type,
        draft.category,
    )
    version = add_version(
        template, draft.source, user_id=user_id, note=draft.note, source_language=source_language
    )
    audit.record(
        org.id,
        action,
        actor_user_id=user_id,
        actor_label=actor_label,
        target_type="template",
        target_id=template.id,
        details={"name": template.name, "version": version.number},
    )
    return template, result


def _organization_language(org: Organization) -> str:
    from webapp.services.languages import base
    from webapp.services.templates.translations import default_language

    return base(default_language(org))


def version_diff(old: TemplateVersion, new: TemplateVersion) -> list[tuple[str, list[str]]]:
    """Unified diffs, field by field, of two versions (fields that did not change are left
    out), the source first, then every language."""
    from webapp.services.templates.translations import translations_diff

    names = (f"version {old.number}", f"version {new.number}")
    return field_diffs(old, new, *names) + translations_diff(old, new)


def field_diffs(old: Any, new: Any, old_name: str, new_name: str) -> list[tuple[str, list[str]]]:
    fields = (("Subject", "subject"), ("Preheader", "preheader"), ("MJML body", "body_mjml"),
              ("Text version", "body_text"))  # fmt: skip
    changes = []
    for label, attribute in fields:
        before = (getattr(old, attribute) or "").splitlines()
        after = (getattr(new, attribute) or "").splitlines()
        if before != after:
            lines = difflib.unified_diff(before, after, old_name, new_name, lineterm="")
            changes.append((label, list(lines)))
    return changes


def version_authors(template: EmailTemplate) -> dict[uuid.UUID, str]:
    """Who wrote each version (name or address), for the history page."""
    from webapp.models import User

    ids = {v.created_by_id for v in list_versions(template) if v.created_by_id}
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids)))
    return {user.id: user.name or user.email for user in users}


# --- brand ----------------------------------------------------------------------------------

BRAND_FIELDS = (
    "logo_url", "primary_color", "text_color", "background_color", "font_family", "footer_text",
)  # fmt: skip


def update_brand(
    org: Organization, values: dict[str, Any], *, user_id: uuid.UUID | None, actor_label: str
) -> Brand:
    """Apply brand values (and the organization's postal address / sender name); a new brand
    revision makes every compiled template pick the change up."""
    brand = org.brand or Brand(org_id=org.id, revision=0)
    if org.brand is None:
        db.session.add(brand)
        org.brand = brand
    for name in BRAND_FIELDS:
        setattr(brand, name, values[name])
    org.postal_address = values["postal_address"]
    org.sender_name = values["sender_name"]
    brand.revision = (brand.revision or 0) + 1
    audit.record(
        org.id,
        "brand.update",
        actor_user_id=user_id,
        actor_label=actor_label,
        target_type="brand",
        target_id=org.id,
        details={"revision": brand.revision},
    )
    db.session.flush()
    return brand
