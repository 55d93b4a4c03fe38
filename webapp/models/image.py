"""Images an organization uploaded for its emails and brand (logos, pictures in templates)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin


class Image(IdMixin, TenantMixin, TimestampMixin, Base):
    """The re-encoded bytes live in the database, so backups, several web processes and the
    removal of an organization (``ON DELETE CASCADE``) need nothing beside it."""

    __tablename__ = "images"

    content_type: Mapped[str] = mapped_column(String(32))  # image/png | image/jpeg
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"
