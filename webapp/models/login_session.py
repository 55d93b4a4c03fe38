"""Signed-in sessions, kept server-side so that signing out really ends them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TimestampMixin, utcnow


class LoginSession(IdMixin, TimestampMixin, Base):
    """One sign-in. The session cookie (and the remember-me cookie) carry only this row's id;
    a session is valid while the row exists, is not ended and was seen within the idle time."""

    __tablename__ = "login_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
