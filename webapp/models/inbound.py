"""Incoming mail: every message ``herald inbound`` accepted or the IMAP poller fetched, kept
with its raw bytes (stored before the sender is told 250), and what processing made of it;
and the mailboxes polled over IMAP."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, IdMixin, TenantMixin, TimestampMixin

INBOUND_KINDS = ("bounce", "complaint", "autoreply", "reply", "unknown")


class InboundMail(IdMixin, TimestampMixin, Base):
    """One incoming message. ``org_id`` is known once a recipient token has been matched to
    a message, so it is empty for the moment between receipt and processing."""

    __tablename__ = "inbound_mails"
    __table_args__ = (
        # the sweeper: received rows not yet processed; a candidate's replies
        Index("ix_inbound_mails_status_created", "status", "created_at"),
        Index("ix_inbound_mails_candidate", "org_id", "candidate_id", "created_at"),
    )

    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True
    )
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="SET NULL"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(16), default="smtp")  # smtp | imap
    peer: Mapped[str] = mapped_column(String(100), default="")  # client address, or mailbox
    mail_from: Mapped[str] = mapped_column(String(400), default="")
    rcpt_to: Mapped[list] = mapped_column(default=list)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # received → processing (claimed by a job at claimed_at) → processed | failed
    status: Mapped[str] = mapped_column(String(16), default="received")
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="")  # one of INBOUND_KINDS
    # what was found: bounce_type/status/diagnostic/recipient, feedback type, auto-reply reason
    details: Mapped[dict] = mapped_column(default=dict)
    # for replies: who wrote, what they wrote (the quoted part apart), their attachments
    from_email: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    quoted_text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list] = mapped_column(default=list)  # [{filename, content_type, size}]
    forward_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )


class InboundMailbox(IdMixin, TenantMixin, TimestampMixin, Base):
    """A bounce/reply mailbox Herald polls over IMAP (for organizations without an MX)."""

    __tablename__ = "inbound_mailboxes"

    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer, default=993)
    security: Mapped[str] = mapped_column(String(16), default="tls")  # tls | starttls | none
    username: Mapped[str] = mapped_column(String(320))
    password_encrypted: Mapped[str] = mapped_column(Text, default="")
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    processed_folder: Mapped[str] = mapped_column(String(200), default="Herald/Processed")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    fetched_count: Mapped[int] = mapped_column(Integer, default=0)
