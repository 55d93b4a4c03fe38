"""Who did what, when."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class AuditLog(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "audit_logs"
    __table_args__ = (Index(None, "org_id", "created_at"),)

    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")  # "api key abc1…" etc.
    action: Mapped[str] = mapped_column(String(64))  # "template.update", "campaign.pause"
    target_type: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(default=dict)
