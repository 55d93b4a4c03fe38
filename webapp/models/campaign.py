"""A bulk send: its audience, schedule and progress (progress lives here, not in Redis)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    EXPANDING = "expanding"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELED = "canceled"


class Campaign(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index(None, "org_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT.value)
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True
    )
    shortlist_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("shortlists.id", ondelete="SET NULL"), nullable=True
    )
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_templates.id", ondelete="SET NULL"), nullable=True
    )
    template_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("template_versions.id", ondelete="SET NULL"), nullable=True
    )
    category: Mapped[str] = mapped_column(String(32), default="invitations")
    candidate_ids: Mapped[list] = mapped_column(default=list)  # the chosen audience (ids)
    schedule_mode: Mapped[str] = mapped_column(String(16), default="now")  # now|at|local
    send_at: Mapped[datetime | None] = mapped_column(nullable=True)
    local_time: Mapped[str] = mapped_column(String(5), default="")  # "09:00" in recipient zone
    send_window: Mapped[dict] = mapped_column(default=dict)  # {"days": [0..6], "start", "end"}
    total_recipients: Mapped[int] = mapped_column(Integer, default=0)
    expanded_count: Mapped[int] = mapped_column(Integer, default=0)  # fan-out cursor
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    canceled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
