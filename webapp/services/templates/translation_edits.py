"""Changing a template's languages: saving or removing a translation, setting the source
language. Each change is a new version (the others carried along), audited like a save."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import EmailTemplate, Organization, TemplateTranslation, TemplateVersion
from webapp.models.base import utcnow
from webapp.services import audit, languages
from webapp.services.rendering.types import BrandData, RenderError, RenderResult, TemplateSource
from webapp.services.rendering.validate import validate
from webapp.services.templates import translations
from webapp.services.templates.library import add_version


def _refused(message: str) -> RenderResult:
    return RenderResult("", "", "", "", errors=[RenderError(None, message, "syntax")])


def _current(template: EmailTemplate) -> TemplateVersion:
    if template.current_version is None:
        raise ValueError("the template has no saved version")
    return template.current_version


def save_translation(
    org: Organization,
    template: EmailTemplate,
    language: str,
    source: TemplateSource,
    *,
    user_id: uuid.UUID | None,
    actor_label: str,
) -> tuple[TemplateVersion | None, RenderResult]:
    """Validate the translation; when clean, a new version holds it, up to date with the
    current source."""
    try:
        language = languages.normalize(language)
    except languages.LanguageError as exc:
        return None, _refused(str(exc))
    version = _current(template)
    if language == translations.source_language(version, org):
        return None, _refused(f"{languages.display_name(language)} is the source language.")
    source = TemplateSource(
        subject=source.subject,
        preheader=source.preheader,
        body_mjml=source.body_mjml,
        body_text=source.body_text,
        language=language,
    )
    result = validate(source, BrandData.from_org(org), category=template.category)
    if result.errors:
        return None, result
    name = languages.display_name(language)
    new = add_version(
        template, TemplateSource.from_version(version), user_id=user_id, note=f"{name} edited"
    )
    row = _row(new, language) or TemplateTranslation(
        org_id=org.id, version_id=new.id, language=language
    )
    row.subject, row.preheader = source.subject, source.preheader
    row.body_mjml, row.body_text = source.body_mjml, source.body_text
    row.source_digest = translations.source_digest(version)
    row.edited_at, row.edited_in_version, row.edited_by_id = utcnow(), new.number, user_id
    db.session.add(row)
    db.session.flush()
    _audit(org, template, "template.translation", user_id, actor_label, new, language)
    return new, result


def remove_translation(
    org: Organization,
    template: EmailTemplate,
    language: str,
    *,
    user_id: uuid.UUID | None,
    actor_label: str,
) -> TemplateVersion | None:
    version = _current(template)
    if _row(version, language) is None:
        return None
    name = languages.display_name(language)
    new = add_version(
        template, TemplateSource.from_version(version), user_id=user_id, note=f"{name} removed"
    )
    db.session.delete(_row(new, language))
    db.session.flush()
    _audit(org, template, "template.translation_remove", user_id, actor_label, new, language)
    return new


def set_source_language(
    org: Organization,
    template: EmailTemplate,
    language: str,
    *,
    user_id: uuid.UUID | None,
    actor_label: str,
) -> TemplateVersion:
    """Raises ``LanguageError``. A translation in the new source language is dropped."""
    language = languages.normalize(language)
    version = _current(template)
    note = f"Source language: {languages.display_name(language)}"
    new = add_version(
        template,
        TemplateSource.from_version(version),
        user_id=user_id,
        note=note,
        source_language=language,
    )
    _audit(org, template, "template.source_language", user_id, actor_label, new, language)
    return new


def _row(version: TemplateVersion, language: str) -> TemplateTranslation | None:
    statement = select(TemplateTranslation).where(
        TemplateTranslation.version_id == version.id, TemplateTranslation.language == language
    )
    return db.session.scalars(statement).first()


def _audit(org, template, action, user_id, actor_label, version, language) -> None:
    audit.record(
        org.id,
        action,
        actor_user_id=user_id,
        actor_label=actor_label,
        target_type="template",
        target_id=template.id,
        details={"version": version.number, "language": language},
    )
