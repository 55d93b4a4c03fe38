"""Organizations, their brand, people and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "editor": 1, "admin": 2, "owner": 3}[self.value]


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    sender_email: Mapped[str] = mapped_column(String(320), default="")
    reply_to: Mapped[str] = mapped_column(String(320), default="")
    sending_domain: Mapped[str] = mapped_column(String(253), default="")
    # policy and tracking switches
    frequency_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quiet_hours_start: Mapped[int | None] = mapped_column(Integer, nullable=True)  # hour 0-23
    quiet_hours_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    open_tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    click_tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_offsets_hours: Mapped[list] = mapped_column(default=lambda: [24, 2])
    bulk_paused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    bulk_paused_reason: Mapped[str] = mapped_column(Text, default="")
    bounce_rate_threshold: Mapped[float] = mapped_column(default=0.05)
    settings: Mapped[dict] = mapped_column(default=dict)

    brand: Mapped[Brand | None] = relationship(back_populates="org", uselist=False)


class Brand(IdMixin, TenantMixin, Base):
    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("org_id"),)

    logo_url: Mapped[str] = mapped_column(String(2000), default="")
    primary_color: Mapped[str] = mapped_column(String(7), default="#2563eb")
    text_color: Mapped[str] = mapped_column(String(7), default="#111827")
    background_color: Mapped[str] = mapped_column(String(7), default="#f3f4f6")
    font_family: Mapped[str] = mapped_column(String(200), default="Helvetica, Arial, sans-serif")
    footer_text: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship(back_populates="brand")


class User(IdMixin, TimestampMixin, UserMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_active_user: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_user

    # The sign-in this instance was loaded for (not a column): Flask-Login stores ``get_id()``
    # in the session and the remember-me cookie, so both name a LoginSession, not the user.
    login_session_id = None

    def get_id(self) -> str:
        if self.login_session_id is None:
            raise RuntimeError("sign the user in through webapp.services.accounts.login_sessions")
        return str(self.login_session_id)


class Membership(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
    # candidates' answers to this person's campaigns: every | daily | off
    response_notifications: Mapped[str] = mapped_column(String(8), default="every")

    user: Mapped[User] = relationship(back_populates="memberships")
    org: Mapped[Organization] = relationship()


class ApiKey(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # shown in lists, not secret
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[list] = mapped_column(default=list)  # "send", "read", "manage"
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Relay(IdMixin, TenantMixin, TimestampMixin, Base):
    """An SMTP relay the organization sends through (tried in ``priority`` order)."""

    __tablename__ = "relays"

    name: Mapped[str] = mapped_column(String(200))
    preset: Mapped[str] = mapped_column(String(32), default="custom")
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer, default=587)
    security: Mapped[str] = mapped_column(String(16), default="starttls")  # none|starttls|tls
    username: Mapped[str] = mapped_column(String(320), default="")
    password_encrypted: Mapped[str] = mapped_column(Text, default="")
    password_env: Mapped[str] = mapped_column(String(100), default="")  # or taken from env
    rate_per_second: Mapped[float | None] = mapped_column(nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class SendingDomain(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "sending_domains"
    __table_args__ = (UniqueConstraint("org_id", "domain"),)

    domain: Mapped[str] = mapped_column(String(253))
    dkim_selector: Mapped[str] = mapped_column(String(63), default="herald")
    dkim_private_key_encrypted: Mapped[str] = mapped_column(Text, default="")
    dkim_public_key: Mapped[str] = mapped_column(Text, default="")
    last_checked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    check_results: Mapped[dict] = mapped_column(default=dict)
