"""Candidates, jobs, shortlists, CSV imports."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

RESPONSE_STATUSES = ("pending", "invited", "accepted", "declined", "reschedule_requested")


class Candidate(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("org_id", "email"),
        Index(None, "org_id", "external_id"),
        Index(None, "org_id", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attributes: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(nullable=True)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Job(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "jobs"

    title: Mapped[str] = mapped_column(String(300))
    location: Mapped[str] = mapped_column(String(300), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    attributes: Mapped[dict] = mapped_column(default=dict)
    is_open: Mapped[bool] = mapped_column(default=True)
    recruiter_ids: Mapped[list] = mapped_column(default=list)  # users told about answers


class Shortlist(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "shortlists"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    job: Mapped[Job] = relationship()
    entries: Mapped[list[ShortlistEntry]] = relationship(
        back_populates="shortlist", cascade="all, delete-orphan"
    )


class ShortlistEntry(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "shortlist_entries"
    __table_args__ = (UniqueConstraint("shortlist_id", "candidate_id"),)

    shortlist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shortlists.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    interview_at: Mapped[datetime | None] = mapped_column(nullable=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=45)
    location: Mapped[str] = mapped_column(String(500), default="")
    video_url: Mapped[str] = mapped_column(String(2000), default="")
    offered_slots: Mapped[list] = mapped_column(default=list)  # ISO-8601 UTC strings
    response_status: Mapped[str] = mapped_column(String(32), default="pending")
    responded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    response_note: Mapped[str] = mapped_column(Text, default="")
    invite_nonce: Mapped[int] = mapped_column(Integer, default=0)  # bump to revoke tokens
    is_canceled: Mapped[bool] = mapped_column(default=False)
    # iTIP SEQUENCE of the interview's calendar entry: +1 for each announced move or cancel
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    response_read_at: Mapped[datetime | None] = mapped_column(nullable=True)  # Responses view

    shortlist: Mapped[Shortlist] = relationship(back_populates="entries")
    candidate: Mapped[Candidate] = relationship()


class ImportRun(IdMixin, TenantMixin, TimestampMixin, Base):
    """A CSV import: progress and the report of rejected rows live here, not in Redis."""

    __tablename__ = "import_runs"

    kind: Mapped[str] = mapped_column(String(32), default="candidates")
    filename: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    mapping: Mapped[dict] = mapped_column(default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"row": n, "reason": ..., "data": [[header, value], ...]}] (pairs keep the column order)
    rejected: Mapped[list] = mapped_column(default=list)
    # rows matching an existing candidate: "skip" (listed with their changes) or "update"
    on_match: Mapped[str] = mapped_column(String(16), default="skip")
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"row", "candidate_id", "name", "changes": {field: [old, new]}, "status"}]
    matched: Mapped[list] = mapped_column(default=list)
    shortlist_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("shortlists.id", ondelete="SET NULL"), nullable=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")  # the uploaded CSV while it runs


class TriggerRule(IdMixin, TenantMixin, TimestampMixin, Base):
    """Maps an event type to a template and a delay (see ``trigger_event``)."""

    __tablename__ = "trigger_rules"

    event_type: Mapped[str] = mapped_column(String(100), index=True)
    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_templates.id", ondelete="CASCADE")
    )
    delay_mode: Mapped[str] = mapped_column(String(16), default="now")  # now | after | before
    delay_hours: Mapped[float] = mapped_column(default=0)
    time_field: Mapped[str] = mapped_column(String(100), default="")  # for "before"
    is_enabled: Mapped[bool] = mapped_column(default=True)


class DigestItem(IdMixin, TenantMixin, TimestampMixin, Base):
    """A notification held back for a recipient who chose a digest for its category.

    ``send_due_digests`` combines the pending items of one recipient into one email at the
    recipient's chosen hour and stamps ``digest_message_id`` on every item it included.
    """

    __tablename__ = "digest_items"
    __table_args__ = (Index(None, "org_id", "email", "digest_message_id"),)

    email: Mapped[str] = mapped_column(String(320))
    category: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32), default="custom")
    subject: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[dict] = mapped_column(default=dict)
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="SET NULL"), nullable=True
    )
    digest_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
