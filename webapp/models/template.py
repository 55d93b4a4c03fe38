"""Email templates and their immutable versions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

TEMPLATE_TYPES = (
    "invitation",
    "reminder_24h",
    "reminder_2h",
    "reschedule",
    "cancellation",
    "confirmation",
    "acknowledgement",
    "follow_up",
    "digest",
    "custom",
)
CATEGORIES = ("invitations", "reminders", "updates", "digests", "marketing", "transactional")


class EmailTemplate(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "email_templates"
    __table_args__ = (Index(None, "org_id", "type"),)

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32), default="custom")
    category: Mapped[str] = mapped_column(String(32), default="invitations")
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("template_versions.id", use_alter=True, ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(nullable=True)

    current_version: Mapped[TemplateVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class TemplateVersion(IdMixin, TenantMixin, TimestampMixin, Base):
    """Never updated after insert: a message records the version it was rendered from."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_templates.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    preheader: Mapped[str] = mapped_column(Text, default="")
    body_mjml: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(String(500), default="")
