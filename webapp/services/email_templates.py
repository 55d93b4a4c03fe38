"""Organization templates, their immutable versions, and the system defaults they fall back to.

System defaults live in ``templates/emails/<type>.mjml``: a few ``key: value`` header lines
(name, category, subject, preheader), a line ``---``, then the MJML body fragment that goes
into the shared brand layout.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import EmailTemplate, TemplateVersion
from webapp.models.base import utcnow
from webapp.models.template import TEMPLATE_TYPES
from webapp.services.rendering.mjml import EMAILS_DIR
from webapp.services.rendering.types import TemplateSource
from webapp.tenancy import scoped

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
) -> TemplateVersion:
    """Append an immutable version and make it current (callers validate first)."""
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
    template.current_version = version
    template.updated_at = utcnow()
    db.session.flush()
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
    )
