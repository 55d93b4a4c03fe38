"""A template version's language variants: the source and its translations.

Versions never change after insert, and neither do their translations: saving a translation
(or the source, or the source language) adds a version that carries every other variant
along (``carry_over``). A translation is *outdated* when the version's source is no longer
the source it was last edited against (``source_digest``).

Sending asks ``variant_for`` which source to render: the variants of a version are loaded
once per process (they never change) and a template without translations goes straight to
its source, without looking at the recipient at all.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import TemplateTranslation, TemplateVersion, VersionLanguage
from webapp.services import languages
from webapp.services.rendering.types import TemplateSource

FIELDS = ("subject", "preheader", "body_mjml", "body_text")


def source_digest(item: Any) -> str:
    """A digest of a source (a version or a ``TemplateSource``): subject, preheader, MJML, text."""
    digest = hashlib.blake2b(digest_size=16)
    for name in FIELDS:
        digest.update((getattr(item, name) or "").encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def translations_of(version: TemplateVersion | None) -> list[TemplateTranslation]:
    if version is None:
        return []
    statement = select(TemplateTranslation).where(TemplateTranslation.version_id == version.id)
    return list(db.session.scalars(statement.order_by(TemplateTranslation.language)))


def recorded_source_language(version_id: uuid.UUID) -> str | None:
    row = db.session.get(VersionLanguage, version_id)
    return row.source_language if row is not None else None


def default_language(org: Any) -> str:
    """The organization's default language (``Organization.locale``), normalized."""
    return languages.normalize_or(getattr(org, "locale", ""), languages.DEFAULT_SOURCE)


def source_language(version: TemplateVersion | None, org: Any) -> str:
    recorded = recorded_source_language(version.id) if version is not None else None
    return recorded or languages.base(default_language(org))


def carry_over(
    previous: TemplateVersion | None,
    version: TemplateVersion,
    *,
    source_language: str | None = None,
) -> None:
    """Give ``version`` the translations and source language of ``previous``."""
    if previous is None and not source_language:
        return
    language = source_language or recorded_source_language(previous.id)
    if language:
        db.session.add(
            VersionLanguage(org_id=version.org_id, version_id=version.id, source_language=language)
        )
    for old in translations_of(previous):
        if old.language == language:
            continue  # the source is now written in this language
        db.session.add(_copy(old, version))
    db.session.flush()


def _copy(old: TemplateTranslation, version: TemplateVersion) -> TemplateTranslation:
    values = {name: getattr(old, name) for name in FIELDS}
    return TemplateTranslation(
        org_id=version.org_id,
        version_id=version.id,
        language=old.language,
        source_digest=old.source_digest,
        edited_at=old.edited_at,
        edited_in_version=old.edited_in_version,
        edited_by_id=old.edited_by_id,
        **values,
    )


def as_source(translation: TemplateTranslation) -> TemplateSource:
    return TemplateSource(
        subject=translation.subject,
        preheader=translation.preheader or "",
        body_mjml=translation.body_mjml,
        body_text=translation.body_text or "",
        id=translation.version_id,
        revision=f"v:{translation.version_id}:t:{translation.language}",
        language=translation.language,
    )


# --- the studio's view of a version ----------------------------------------------------------


@dataclass
class TranslationStatus:
    language: str
    name: str
    direction: str
    is_outdated: bool
    edited_in_version: int
    translation: TemplateTranslation


def statuses(version: TemplateVersion | None) -> list[TranslationStatus]:
    """Every translation of ``version``, marked outdated when the source changed since."""
    if version is None:
        return []
    current = source_digest(version)
    return [
        TranslationStatus(
            language=item.language,
            name=languages.display_name(item.language),
            direction=languages.direction(item.language),
            is_outdated=item.source_digest != current,
            edited_in_version=item.edited_in_version,
            translation=item,
        )
        for item in translations_of(version)
    ]


def languages_by_version(template: Any) -> dict[uuid.UUID, list[str]]:
    """For the history page: the languages each version is translated into."""
    rows = db.session.execute(
        select(TemplateTranslation.version_id, TemplateTranslation.language)
        .join(TemplateVersion, TemplateVersion.id == TemplateTranslation.version_id)
        .where(TemplateVersion.template_id == template.id)
        .order_by(TemplateTranslation.language)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for version_id, language in rows:
        found.setdefault(version_id, []).append(language)
    return found


def source_changes(template_id: uuid.UUID, translation: TemplateTranslation, version) -> list:
    """How the source changed since the translation was last edited (unified diffs)."""
    from webapp.services.templates.library import field_diffs

    edited = db.session.scalars(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template_id,
            TemplateVersion.number == translation.edited_in_version,
        )
    ).first()
    if edited is None or edited.id == version.id:
        return []
    return field_diffs(edited, version, f"version {edited.number}", f"version {version.number}")


def translations_diff(old: TemplateVersion, new: TemplateVersion) -> list[tuple[str, list[str]]]:
    """Per language, what changed between two versions (added and removed ones included)."""
    from webapp.services.templates.library import field_diffs

    before = {t.language: t for t in translations_of(old)}
    after = {t.language: t for t in translations_of(new)}
    changes: list[tuple[str, list[str]]] = []
    names = (f"version {old.number}", f"version {new.number}")
    for language in sorted(set(before) | set(after)):
        empty = _Empty()
        diffs = field_diffs(before.get(language, empty), after.get(language, empty), *names)
        label = languages.display_name(language)
        changes += [(f"{label} ({language}): {field_label}", lines) for field_label, lines in diffs]
    old_source = recorded_source_language(old.id)
    new_source = recorded_source_language(new.id)
    if old_source != new_source:
        lines = [f"-{old_source or 'the organization default'}", f"+{new_source}"]
        changes.append(("Source language", lines))
    return changes


class _Empty:
    subject = preheader = body_mjml = body_text = ""


# --- sending --------------------------------------------------------------------------------


@dataclass
class Variants:
    source: TemplateSource
    recorded_source: str | None
    translations: dict[str, TemplateSource] = field(default_factory=dict)


_variants: OrderedDict[uuid.UUID, Variants] = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 1024


def variants(source: TemplateSource, org_id: uuid.UUID) -> Variants:
    """The variants of a stored version, loaded once (versions and translations are
    immutable); a system default or unsaved source has none of its own."""
    if source.id is None:
        return Variants(source, None)
    with _lock:
        found = _variants.get(source.id)
    if found is not None:
        return found
    rows = db.session.scalars(
        select(TemplateTranslation).where(
            TemplateTranslation.version_id == source.id, TemplateTranslation.org_id == org_id
        )
    )
    found = Variants(source, recorded_source_language(source.id))
    found.translations = {row.language: as_source(row) for row in rows}
    with _lock:
        _variants[source.id] = found
        while len(_variants) > CACHE_SIZE:
            _variants.popitem(last=False)
    return found


def variant_for(source: TemplateSource, org: Any, wanted) -> tuple[TemplateSource, str]:
    """The source to render and its language. ``wanted()`` gives the recipient's locale; it
    is only asked when there is a choice to make."""
    if source.revision.startswith("system:"):
        available = languages.DEFAULT_TEMPLATE_LANGUAGES
        choice = languages.choose(wanted(), available, default_language(org), "en")
        return _in_language(source, choice.language), choice.language
    found = variants(source, org.id)
    own = found.recorded_source or languages.base(default_language(org))
    if not found.translations:
        if not speaks_catalog_words(source):
            return _with_language(source, own), own
        choice = languages.choose(wanted(), catalog_languages(own), default_language(org), own)
        return _with_language(source, choice.language), choice.language
    choice = languages.choose(wanted(), [own, *found.translations], default_language(org), own)
    if choice.language == own:
        return _with_language(source, own), own
    return found.translations[choice.language], choice.language


@lru_cache(maxsize=1024)
def _in_language(source: TemplateSource, language: str) -> TemplateSource:
    return replace(source, language=language)


def speaks_catalog_words(source: TemplateSource) -> bool:
    """The template's words are Herald's own (``{{ _("…") }}``, as in a template started from
    a default): the catalogs translate them, so it reads in every catalog language."""
    return any("_(" in part for part in (source.subject, source.body_mjml, source.body_text))


def catalog_languages(own: str) -> tuple[str, ...]:
    return (own, *(tag for tag in languages.DEFAULT_TEMPLATE_LANGUAGES if tag != own))


def _with_language(source: TemplateSource, language: str) -> TemplateSource:
    return source if source.language == language else _in_language(source, language)


# --- the campaign wizard's review -----------------------------------------------------------


@dataclass
class LanguageCount:
    language: str
    name: str
    count: int


@dataclass
class Fallback:
    wanted: str
    language: str
    name: str
    count: int
    reason: str  # "no Portuguese variant"

    @property
    def line(self) -> str:
        return f"{self.count} {self.wanted} → {self.name} ({self.reason})"


def audience_languages(
    org: Any, version: TemplateVersion, people: list[Any]
) -> tuple[list[LanguageCount], list[Fallback]]:
    """How many people get each language, and who falls back to another one, and why."""
    source = TemplateSource.from_version(version)
    found = variants(source, org.id)
    own = found.recorded_source or languages.base(default_language(org))
    available = [own, *found.translations]
    if not found.translations and speaks_catalog_words(source):
        available = list(catalog_languages(own))
    counts: dict[str, int] = {}
    fallbacks: dict[tuple[str, str], Fallback] = {}
    for person in people:
        wanted = languages.normalize_or(person.locale, person.locale or "")
        choice = languages.choose(wanted, available, default_language(org), own)
        counts[choice.language] = counts.get(choice.language, 0) + 1
        if choice.is_fallback:
            key = (wanted, choice.language)
            if key not in fallbacks:
                name = languages.display_name(choice.language)
                reason = languages.fallback_reason(wanted, choice)
                fallbacks[key] = Fallback(wanted, choice.language, name, 0, reason)
            fallbacks[key].count += 1
    totals = [
        LanguageCount(tag, languages.display_name(tag), count)
        for tag, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return totals, sorted(fallbacks.values(), key=lambda f: (-f.count, f.wanted))
