"""Who must not be mailed, and what each recipient chose to receive."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

SUPPRESSION_REASONS = ("unsubscribed", "hard_bounce", "complaint", "manual")


class Suppression(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))  # lower-cased
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    source_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )


class Preference(IdMixin, TenantMixin, Base):
    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    opted_out_categories: Mapped[list] = mapped_column(default=list)
    digest_categories: Mapped[list] = mapped_column(default=list)  # categories sent as digest
    digest_frequency: Mapped[str] = mapped_column(String(16), default="off")  # off|daily|weekly
    digest_hour: Mapped[int] = mapped_column(default=9)
    unsubscribed_all: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
