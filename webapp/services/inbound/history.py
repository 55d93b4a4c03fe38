"""Incoming mail as the dashboard shows it: on a message's page (bounces, complaints,
auto-replies, replies) and on a candidate's history (their replies), with attachments."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import InboundMail
from webapp.services.inbound import processing, replies

KEEP_REPORTS = timedelta(days=90)  # bounces, complaints, auto-replies: their outcome is kept
KIND_LABELS = {
    "bounce": "Bounce",
    "complaint": "Spam complaint",
    "autoreply": "Automatic reply",
    "reply": "Reply",
    "unknown": "Other mail",
}


def for_message(org_id: uuid.UUID, message_id: uuid.UUID) -> list[InboundMail]:
    return list(
        db.session.scalars(
            select(InboundMail)
            .where(InboundMail.org_id == org_id, InboundMail.message_id == message_id)
            .order_by(InboundMail.created_at)
        )
    )


def replies_of(org_id: uuid.UUID, candidate_id: uuid.UUID, limit: int = 50) -> list[InboundMail]:
    return list(
        db.session.scalars(
            select(InboundMail)
            .where(
                InboundMail.org_id == org_id,
                InboundMail.candidate_id == candidate_id,
                InboundMail.kind == "reply",
            )
            .order_by(InboundMail.created_at.desc())
            .limit(limit)
        )
    )


def attachment(
    org_id: uuid.UUID, message_id: uuid.UUID, inbound_id: uuid.UUID, index: int
) -> tuple[str, str, bytes] | None:
    row = db.session.get(InboundMail, inbound_id)
    if row is None or (row.org_id, row.message_id, row.kind) != (org_id, message_id, "reply"):
        return None
    return replies.attachment_bytes(processing.parse(row.raw), index)


def erase_candidate_mail(org_id: uuid.UUID, candidate_id: uuid.UUID) -> int:
    """Delete what a candidate wrote to us (their personal data) when they are erased."""
    rows = db.session.scalars(
        select(InboundMail).where(
            InboundMail.org_id == org_id, InboundMail.candidate_id == candidate_id
        )
    ).all()
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)


def purge_reports(now: datetime) -> int:
    """Delete processed bounces, complaints, auto-replies and unclassified mail older than
    ``KEEP_REPORTS`` (their suppressions and events stay). Replies are the candidate's history
    and stay until the candidate is erased; mail not yet processed is never purged."""
    result = db.session.execute(
        delete(InboundMail)
        .where(
            InboundMail.status == "processed",
            InboundMail.kind != "reply",
            InboundMail.created_at < now - KEEP_REPORTS,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0
