"""Shared helpers (no tests here) for the tracking, unsubscribe and webhook tests."""

from __future__ import annotations

from datetime import timedelta

from webapp.extensions import db
from webapp.models import Message, utcnow
from webapp.redis_client import get_redis
from webapp.services.tracking.drain import drain

LINKS = ["https://jobs.example.com/apply", "https://example.com/about", "__honeypot__"]


def make_sent_message(
    org, email: str = "ada@example.com", *, sent_ago=timedelta(hours=1), **fields
):
    now = utcnow()
    message = Message(
        org_id=org.id,
        to_email=email,
        status=fields.pop("status", "sent"),
        send_after=now - sent_ago,
        sent_at=now - sent_ago,
        links=fields.pop("links", list(LINKS)),
        is_transactional=fields.pop("is_transactional", False),
        category=fields.pop("category", "invitations"),
        **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message


def run_drain():
    result = drain(get_redis())
    db.session.expire_all()
    return result
