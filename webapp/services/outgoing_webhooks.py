"""Outgoing webhooks: events for the organization's registered endpoints.

``emit(org_id, event_type, data)`` is what every feature calls when something an integration
may care about happens (``message.sent``, ``candidate.responded``, ``campaign.completed`` …).
It only writes WebhookDelivery rows (flush, no commit); the delivery job posts them after the
commit, signs them and retries with backoff.
"""

from __future__ import annotations

import uuid
from typing import Any

OUTGOING_EVENT_TYPES = (
    "message.sent",
    "message.delivered",
    "message.bounced",
    "message.complained",
    "message.opened",
    "message.clicked",
    "recipient.unsubscribed",
    "candidate.responded",
    "campaign.completed",
)


def emit(org_id: uuid.UUID, event_type: str, data: dict[str, Any]) -> None:
    if event_type not in OUTGOING_EVENT_TYPES:
        raise ValueError(f"unknown outgoing event type {event_type!r}")
