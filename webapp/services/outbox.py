"""Creating outbox rows. Every email starts here as a Message row (DESIGN.md "The outbox").

A message due now is ``queued`` and handed to a worker right after the commit; a message for
later is ``scheduled`` and the dispatcher picks it up when ``send_after`` passes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import Message, MessageStatus, utcnow


def create_message(
    org_id: uuid.UUID,
    *,
    to_email: str,
    to_name: str = "",
    template_id: uuid.UUID | None = None,
    template_version_id: uuid.UUID | None = None,
    context: dict[str, Any] | None = None,
    raw_subject: str | None = None,
    raw_html: str | None = None,
    raw_text: str | None = None,
    category: str = "transactional",
    is_transactional: bool = True,
    kind: str = "custom",
    send_after: datetime | None = None,
    campaign_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    shortlist_entry_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
) -> Message:
    now = utcnow()
    due_now = send_after is None or send_after <= now
    message = Message(
        org_id=org_id,
        to_email=to_email.strip().lower(),
        to_name=to_name,
        template_id=template_id,
        template_version_id=template_version_id,
        context=context or {},
        raw_subject=raw_subject,
        raw_html=raw_html,
        raw_text=raw_text,
        category=category,
        is_transactional=is_transactional,
        kind=kind,
        send_after=send_after or now,
        status=MessageStatus.QUEUED.value if due_now else MessageStatus.SCHEDULED.value,
        queued_at=now if due_now else None,
        campaign_id=campaign_id,
        candidate_id=candidate_id,
        shortlist_entry_id=shortlist_entry_id,
        idempotency_key=idempotency_key,
    )
    db.session.add(message)
    db.session.flush()
    if due_now:
        after_commit(enqueue_send, message.id)
    return message


def enqueue_send(message_id: uuid.UUID) -> None:
    """Hand one due message to a worker (called after commit)."""
    from jobs.queues import enqueue_send_message

    enqueue_send_message(message_id)
