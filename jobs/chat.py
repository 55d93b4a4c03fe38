"""Posting to an organization's Slack or Teams channel (``webapp.services.notify.chat``)."""

from __future__ import annotations

import logging
import uuid

from webapp.extensions import db
from webapp.models import Organization
from webapp.services.notify import chat

logger = logging.getLogger(__name__)


class ChatDeliveryFailed(RuntimeError):
    pass


def post_text(org_id: str, text: str) -> int:
    org = db.session.get(Organization, uuid.UUID(org_id))
    if org is None:
        return 0
    status, error = chat.deliver(org, text)
    if status is None or status >= 300:
        logger.warning("chat post for organization %s failed: %s", org.id, error)
        raise ChatDeliveryFailed(error)  # kept in RQ's failed registry for a person to see
    return status
