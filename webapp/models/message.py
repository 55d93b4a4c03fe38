"""The outbox: one Message row per email, its attempts and its events (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    DEFERRED = "deferred"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELED = "canceled"
    SUPPRESSED = "suppressed"


# States from which the dispatcher may pick a row up once ``send_after`` has passed.
DUE_STATUSES = (MessageStatus.SCHEDULED.value, MessageStatus.DEFERRED.value)
FINAL_STATUSES = (
    MessageStatus.SENT.value,
    MessageStatus.DELIVERED.value,
    MessageStatus.BOUNCED.value,
    MessageStatus.COMPLAINED.value,
    MessageStatus.FAILED.value,
    MessageStatus.UNKNOWN.value,
    MessageStatus.CANCELED.value,
    MessageStatus.SUPPRESSED.value,
)


class Message(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index(None, "status", "send_after"),
        Index(None, "org_id", "created_at"),
        Index(None, "org_id", "to_email"),
        Index(None, "campaign_id", "status"),
        UniqueConstraint("campaign_id", "candidate_id"),
        UniqueConstraint("org_id", "idempotency_key"),
        Index(None, "org_id", "sent_at"),  # stats: per-domain breakdown over a date range
        Index(None, "campaign_id", "to_email"),  # stats: a campaign's recipients table, by address
    )

    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.SCHEDULED.value)
    send_after: Mapped[datetime]  # the one clock: schedule, retry backoff, quiet hours
    is_transactional: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str] = mapped_column(String(32), default="transactional")
    kind: Mapped[str] = mapped_column(String(32), default="custom")  # template type
    to_email: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(300), default="")
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="SET NULL"), nullable=True, index=True
    )
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True
    )
    shortlist_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("shortlist_entries.id", ondelete="SET NULL"), nullable=True, index=True
    )
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_templates.id", ondelete="SET NULL"), nullable=True
    )
    template_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("template_versions.id", ondelete="SET NULL"), nullable=True
    )
    context: Mapped[dict] = mapped_column(default=dict)  # plain data for the template
    # raw content when sent without a template (API "raw" send)
    raw_subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    raw_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    raw_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")  # as rendered when sent
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)  # as sent in
    message_id_header: Mapped[str] = mapped_column(String(400), default="")  # stable Message-ID
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    relay_name: Mapped[str] = mapped_column(String(200), default="")
    last_smtp_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_message_id: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    queued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    bounced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    complained_at: Mapped[datetime | None] = mapped_column(nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # engagement: first human event, and counters kept apart for human and machine
    opened_at: Mapped[datetime | None] = mapped_column(nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    click_count: Mapped[int] = mapped_column(Integer, default=0)
    machine_open_count: Mapped[int] = mapped_column(Integer, default=0)
    machine_click_count: Mapped[int] = mapped_column(Integer, default=0)
    links: Mapped[list] = mapped_column(default=list)  # tracked URLs in the message, by index
    # files an API send gave: [{filename, content_type, size, file_id}] (models/attachment.py)
    attachments: Mapped[list | None] = mapped_column(nullable=True)
    # a manual retry (dashboard, API) starts a fresh retry budget from here (REQUIREMENTS S5)
    retried_at: Mapped[datetime | None] = mapped_column(nullable=True)

    attempts_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="message", order_by="DeliveryAttempt.attempted_at"
    )


class DeliveryAttempt(IdMixin, TenantMixin, Base):
    """One SMTP attempt: when, through which relay, and what the server answered."""

    __tablename__ = "delivery_attempts"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime]
    relay_name: Mapped[str] = mapped_column(String(200), default="")
    smtp_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smtp_reply: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16))  # sent|deferred|bounced|failed|unknown
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)

    message: Mapped[Message] = relationship(back_populates="attempts_log")


class SentContent(TenantMixin, Base):
    """What a message said when it went to a server: the record the message page shows.

    ``body`` is the HTML and text exactly as sent, compressed together (``sent_record.pack``;
    tracked links and pixel included; the page neutralises them). After the retention period
    (``HERALD_SENT_CONTENT_RETENTION_DAYS``) the body is dropped and only the metadata stays:
    subject, attachment names, the template version, when it was sent.
    """

    __tablename__ = "sent_contents"

    message_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: Mapped[datetime] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    attachments: Mapped[list] = mapped_column(default=list)  # [{filename, content_type, size}]
    template_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("template_versions.id", ondelete="SET NULL"), nullable=True
    )
    body_purged_at: Mapped[datetime | None] = mapped_column(nullable=True)


class MessageEvent(IdMixin, TenantMixin, Base):
    """Something that happened to a sent message: delivered, opened, clicked, bounced…"""

    __tablename__ = "message_events"
    __table_args__ = (
        UniqueConstraint("event_key"),
        Index(None, "org_id", "occurred_at"),
        Index(None, "org_id", "type", "occurred_at"),  # stats: top clicked links
    )

    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), nullable=True, index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    event_key: Mapped[str] = mapped_column(String(200))  # dedupe: same key is stored once
    source: Mapped[str] = mapped_column(String(32), default="tracking")  # tracking|provider name
    is_machine: Mapped[bool] = mapped_column(Boolean, default=False)
    machine_reason: Mapped[str] = mapped_column(String(100), default="")
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict] = mapped_column(default=dict)


class StatRollup(Base):
    """Counts per (organization, UTC hour, campaign, template version, metric).

    Hourly rather than daily so that a date range in any organization's time zone adds up
    exactly; the dashboard sums hours. Missing campaign/template use the nil UUID.
    """

    __tablename__ = "stat_rollups"
    __table_args__ = (Index(None, "campaign_id", "metric"),)  # stats: a campaign's own funnel

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    template_version_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(default=dict)
