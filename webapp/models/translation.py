"""A template version's language variants, kept beside the version (never updated either).

A version's own subject, preheader, MJML and text are its *source*, written in the version's
source language (``VersionLanguage``; none recorded: the organization's default language).
Each ``TemplateTranslation`` is the same email in another language, sharing the version's
brand layout. Saving a translation, or the source, makes a new version that carries every
other variant along unchanged, so versions, diff and restore cover every language.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, utcnow


class VersionLanguage(TenantMixin, Base):
    """The language a version's source is written in."""

    __tablename__ = "template_version_languages"

    version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("template_versions.id", ondelete="CASCADE"), primary_key=True
    )
    source_language: Mapped[str] = mapped_column(String(16))


class TemplateTranslation(IdMixin, TenantMixin, Base):
    """One language variant of a version. ``source_digest`` is the digest of the source as it
    was when the translation was last edited: when the source differs, it is outdated."""

    __tablename__ = "template_translations"
    __table_args__ = (UniqueConstraint("version_id", "language"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("template_versions.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    preheader: Mapped[str] = mapped_column(Text, default="")
    body_mjml: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text, default="")
    source_digest: Mapped[str] = mapped_column(String(32))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_in_version: Mapped[int] = mapped_column(Integer)  # the version number of that edit
    edited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
