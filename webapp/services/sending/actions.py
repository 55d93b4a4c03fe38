"""What a person (dashboard) or an integration (API) can do with messages: look them up with
filters, retry, retry every failed message matching a filter, cancel.

Every function takes explicit arguments, flushes, and leaves the commit to the caller; the
enqueue happens after that commit (``webapp.after_commit``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, func, select, update

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import Message, MessageStatus, utcnow

RETRYABLE = (
    MessageStatus.FAILED.value,
    MessageStatus.UNKNOWN.value,
    MessageStatus.DEFERRED.value,
)
CANCELABLE = (
    MessageStatus.SCHEDULED.value,
    MessageStatus.QUEUED.value,
    MessageStatus.DEFERRED.value,
)
DEAD_LETTERS = (MessageStatus.FAILED.value, MessageStatus.UNKNOWN.value)


@dataclass(frozen=True)
class MessageFilters:
    status: str = ""  # one status, or "dead" for failed + unknown
    campaign_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = None
    recipient: str = ""  # part of the address
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive


def filtered(org_id: uuid.UUID, filters: MessageFilters) -> Select:
    statement = select(Message).where(Message.org_id == org_id)
    if filters.status == "dead":
        statement = statement.where(Message.status.in_(DEAD_LETTERS))
    elif filters.status:
        statement = statement.where(Message.status == filters.status)
    if filters.campaign_id:
        statement = statement.where(Message.campaign_id == filters.campaign_id)
    if filters.template_id:
        statement = statement.where(Message.template_id == filters.template_id)
    if filters.recipient:
        needle = filters.recipient.strip().lower()
        statement = statement.where(Message.to_email.contains(needle, autoescape=True))
    if filters.created_from:
        statement = statement.where(Message.created_at >= filters.created_from)
    if filters.created_to:
        statement = statement.where(Message.created_at < filters.created_to)
    return statement


def search(org_id: uuid.UUID, filters: MessageFilters, *, page: int = 1, per_page: int = 50):
    """One page of messages, newest first, and whether there is a next page."""
    statement = filtered(org_id, filters).order_by(Message.created_at.desc(), Message.id.desc())
    rows = db.session.scalars(statement.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def count(org_id: uuid.UUID, filters: MessageFilters) -> int:
    subquery = filtered(org_id, filters).with_only_columns(Message.id).subquery()
    return db.session.scalar(select(func.count()).select_from(subquery))


def _requeue(ids: list[uuid.UUID], now: datetime) -> list[tuple[uuid.UUID, bool]]:
    if not ids:
        return []
    rows = db.session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.status.in_(RETRYABLE))
        .values(
            status=MessageStatus.QUEUED.value,
            send_after=now,
            queued_at=now,
            retried_at=now,
            attempts=0,
            failed_at=None,
        )
        .returning(Message.id, Message.is_transactional)
        .execution_options(synchronize_session=False)
    ).all()
    items = [(row[0], row[1]) for row in rows]
    if items:
        from webapp.services.sending.outbox import enqueue_due

        after_commit(enqueue_due, items)
    return items


def retry_message(message: Message) -> bool:
    """Send a failed, unknown or deferred message again now, with a fresh retry budget.

    The Message-ID stays the same. Returns False when the message is not in a retryable state.
    """
    done = bool(_requeue([message.id], utcnow()))
    db.session.refresh(message)
    return done


def retry_failed(org_id: uuid.UUID, filters: MessageFilters, limit: int = 10_000) -> int:
    """Retry every failed or unknown message of the organization matching ``filters``."""
    if filters.status not in DEAD_LETTERS:
        filters = replace(filters, status="dead")
    statement = filtered(org_id, filters).with_only_columns(Message.id).limit(limit)
    ids = list(db.session.scalars(statement))
    return len(_requeue(ids, utcnow()))


def cancel_message(message: Message) -> bool:
    """Cancel a message that has not been handed to a worker's SMTP session yet."""
    result = db.session.execute(
        update(Message)
        .where(Message.id == message.id, Message.status.in_(CANCELABLE))
        .values(status=MessageStatus.CANCELED.value, last_error="canceled by a person")
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(message)
    return result.rowcount == 1
