"""Files sent with emails: their bytes stored once, and the template versions that carry them.

An ``AttachmentFile`` is content-addressed within its organization (``sha256``): a job
description attached to ten versions of a template, or the same PDF sent to a thousand
candidates through the API, is stored once. A ``TemplateAttachment`` names a file on one
template version (its name, type and size as the recipient sees them). Versions never change,
so neither do their attachments: adding or removing a file makes a new version, and restoring
an old version brings back the files it had. API sends keep their files on the message
(``Message.attachments``), referring to the same stored bytes. Bytes no template version
refers to and no waiting message needs are deleted once the sent-content retention period
has passed since they were last given (``storage.purge_unused_files``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


class AttachmentFile(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "attachment_files"
    __table_args__ = (UniqueConstraint("org_id", "sha256"),)

    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # the last send or upload that gave these bytes; unused files go after the retention period
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TemplateAttachment(IdMixin, TenantMixin, Base):
    """One file on one template version, in the order the author added them."""

    __tablename__ = "template_attachments"

    template_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("template_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment_files.id", ondelete="CASCADE"), index=True
    )
