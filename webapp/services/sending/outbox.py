"""Creating outbox rows. Every email starts here as a Message row (DESIGN.md "The outbox").

A message due now is ``queued`` and handed to a worker right after the commit; a message for
later is ``scheduled`` and the dispatcher picks it up when ``send_after`` passes.

Due messages created in one transaction are enqueued together after its commit: each
transactional message as its own ``send_message`` job (a person is waiting), bulk messages in
``send_batch`` jobs of ``batch_size`` (one job, one SMTP connection per batch). A rolled-back
transaction enqueues nothing (Q3).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

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
    attachments: list[dict[str, Any]] | None = None,
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
        attachments=attachments or None,
    )
    db.session.add(message)
    db.session.flush()
    if due_now:
        _enqueue_after_commit(message.id, is_transactional)
    return message


def create_messages(org_id: uuid.UUID, rows: list[dict[str, Any]]) -> list[tuple[uuid.UUID, str]]:
    """Many outbox rows in one INSERT (a bulk API request): each row holds
    ``create_message``'s keyword arguments. Returns (id, status) per row, in order."""
    from webapp.models import new_id

    now = utcnow()
    values, created = [], []
    for row in rows:
        send_after = row.get("send_after")
        due_now = send_after is None or send_after <= now
        status = MessageStatus.QUEUED.value if due_now else MessageStatus.SCHEDULED.value
        message_id = new_id()
        values.append({column: None for column in _BULK_COLUMNS} | {
            **row,
            "id": message_id, "org_id": org_id, "created_at": now,
            "to_email": row["to_email"].strip().lower(), "context": row.get("context") or {},
            "send_after": send_after or now, "status": status,
            "queued_at": now if due_now else None,
        })  # fmt: skip
        created.append((message_id, status))
        if due_now:
            _enqueue_after_commit(message_id, row.get("is_transactional", True))
    from webapp.services.campaigns.bulk import copy_insert

    copy_insert(Message.__table__, values)
    return created


_BULK_COLUMNS = (
    "template_id", "template_version_id", "raw_subject", "raw_html", "raw_text",
    "candidate_id", "campaign_id", "shortlist_entry_id", "idempotency_key", "attachments",
)  # fmt: skip
_PENDING_KEY = "herald.outbox.pending"


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the after-commit hook was dropped with it
        session.info.pop(_PENDING_KEY, None)


def _enqueue_after_commit(message_id: uuid.UUID, is_transactional: bool) -> None:
    info = db.session().info
    pending = info.get(_PENDING_KEY)
    if pending is None:
        pending = info[_PENDING_KEY] = []
        after_commit(_enqueue_pending, pending)
    pending.append((message_id, is_transactional))


def _enqueue_pending(pending: list[tuple[uuid.UUID, bool]]) -> None:
    db.session().info.pop(_PENDING_KEY, None)
    enqueue_due(pending)


def enqueue_due(items: list[tuple[uuid.UUID, bool]]) -> None:
    """Hand committed, due messages to workers: (id, is_transactional) pairs."""
    from flask import current_app

    from webapp.services.queues import enqueue_messages

    enqueue_messages(items, current_app.config["HERALD"].batch_size)


def enqueue_send(message_id: uuid.UUID) -> None:
    """Hand one due message to a worker (called after commit)."""
    from webapp.services.queues import enqueue_send_message

    enqueue_send_message(message_id)
