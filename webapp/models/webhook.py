"""Outgoing webhooks (to integrations) and incoming provider webhooks (from ESPs)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class WebhookEndpoint(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(300), default="")
    secret_encrypted: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list] = mapped_column(default=list)  # empty: every event
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")


class WebhookDelivery(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        UniqueConstraint("endpoint_id", "event_id"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ProviderConfig(IdMixin, TenantMixin, TimestampMixin, Base):
    """Keys for verifying one provider's webhooks, reached at /webhooks/<provider>/<key>."""

    __tablename__ = "provider_configs"
    __table_args__ = (UniqueConstraint("endpoint_key"),)

    provider: Mapped[str] = mapped_column(String(32))
    endpoint_key: Mapped[str] = mapped_column(String(64))
    settings_encrypted: Mapped[str] = mapped_column(Text, default="")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ProviderWebhookLog(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "provider_webhook_logs"

    provider: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(32))  # accepted|rejected|duplicate|error
    detail: Mapped[str] = mapped_column(Text, default="")
    event_count: Mapped[int] = mapped_column(Integer, default=0)
