"""Outgoing webhooks: events for the organization's registered endpoints.

``emit(org_id, event_type, data)`` is what every feature calls when something an integration
may care about happens (``message.sent``, ``candidate.responded``, ``campaign.completed`` …).
It only writes WebhookDelivery rows (flush, no commit); after the commit a delivery job
(``jobs.webhooks.deliver_due``) posts them, signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``), and
retries with backoff for about a day. An endpoint whose delivery still fails at the end of
that window is disabled and the organization's admins get an email (and a banner on the
webhooks page).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import WebhookDelivery, WebhookEndpoint, utcnow
from webapp.services import crypto, egress, queues
from webapp.services.provider_events.standard import new_secret, sign

logger = logging.getLogger(__name__)

OUTGOING_EVENT_TYPES = (
    "message.sent",
    "message.delivered",
    "message.bounced",
    "message.complained",
    "message.opened",
    "message.clicked",
    "message.replied",
    "recipient.unsubscribed",
    "candidate.responded",
    "campaign.completed",
)
KICK_KEY = "herald:webhooks:kick"
# Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about a day in all).
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
RETRY_WINDOW = timedelta(hours=24)
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 2048


def emit(org_id: uuid.UUID, event_type: str, data: dict[str, Any]) -> int:
    """Queue ``event_type`` for every enabled endpoint of the organization that wants it."""
    if event_type not in OUTGOING_EVENT_TYPES:
        raise ValueError(f"unknown outgoing event type {event_type!r}")
    return emit_to(enabled_endpoints([org_id]).get(org_id, []), event_type, data)


def enabled_endpoints(org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[WebhookEndpoint]]:
    ids = list(set(org_ids))
    found: dict[uuid.UUID, list[WebhookEndpoint]] = {}
    if not ids:
        return found
    rows = db.session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.org_id.in_(ids), WebhookEndpoint.is_enabled.is_(True)
        )
    )
    for endpoint in rows:
        found.setdefault(endpoint.org_id, []).append(endpoint)
    return found


def emit_to(endpoints: list[WebhookEndpoint], event_type: str, data: dict[str, Any]) -> int:
    """Write one delivery per interested endpoint (used by :func:`emit` and the drain)."""
    wanted = [e for e in endpoints if not e.event_types or event_type in e.event_types]
    if not wanted:
        return 0
    event_id = "msg_" + uuid.uuid4().hex
    payload = {"type": event_type, "timestamp": utcnow().isoformat(), "data": data}
    for endpoint in wanted:
        db.session.add(
            WebhookDelivery(
                org_id=endpoint.org_id,
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
            )
        )
    db.session.flush()
    after_commit(kick_delivery)
    return len(wanted)


def kick_delivery() -> None:
    """Ask a worker to deliver soon (at most one request every two seconds)."""
    from webapp.redis_client import get_redis

    if get_redis().set(KICK_KEY, "1", nx=True, ex=2):
        queues.enqueue_webhook_delivery()


def create_endpoint(
    org_id: uuid.UUID, *, url: str, description: str = "", event_types: list[str] | None = None
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        org_id=org_id,
        url=url.strip(),
        description=description.strip(),
        secret_encrypted=crypto.encrypt(new_secret()),
        event_types=[t for t in (event_types or []) if t in OUTGOING_EVENT_TYPES],
        is_enabled=True,
        consecutive_failures=0,
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return crypto.decrypt(endpoint.secret_encrypted)


def enable_endpoint(endpoint: WebhookEndpoint) -> None:
    endpoint.is_enabled = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    db.session.flush()


def replay(delivery: WebhookDelivery) -> None:
    """Send a delivery again now (same event id, so receivers can tell it is a repeat)."""
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.attempts = 0
    delivery.created_at = utcnow()  # a replay gets its own retry window
    db.session.flush()
    after_commit(kick_delivery)


def recent_deliveries(org_id: uuid.UUID, *, limit: int = 50, status: str = ""):
    statement = select(WebhookDelivery, WebhookEndpoint.url).join(
        WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
    )
    statement = statement.where(WebhookDelivery.org_id == org_id)
    if status in ("pending", "delivered", "failed"):
        statement = statement.where(WebhookDelivery.status == status)
    statement = statement.order_by(WebhookDelivery.created_at.desc()).limit(limit)
    return db.session.execute(statement).all()


def deliver_due(*, limit: int = 100) -> int:
    """Post due deliveries; commit after each. Returns how many were attempted."""
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    deliveries = db.session.scalars(statement).all()
    for delivery in deliveries:
        attempt(delivery)
        db.session.commit()
    return len(deliveries)


def attempt(delivery: WebhookDelivery) -> bool:
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.is_enabled:
        delivery.status, delivery.next_attempt_at = "failed", None
        delivery.last_error = "endpoint disabled"
        return False
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    code, error = post(endpoint.url, endpoint_secret(endpoint), delivery.event_id, body)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = code, error
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            "delivered",
            utcnow(),
            None,
        )
        endpoint.consecutive_failures = 0
        return True
    endpoint.consecutive_failures += 1
    _schedule_retry(delivery, endpoint)
    return False


def _schedule_retry(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> None:
    """Next attempt per the schedule, the last one at the end of the 24-hour window."""
    index, now = delivery.attempts - 1, utcnow()
    deadline = delivery.created_at + RETRY_WINDOW
    if index < len(RETRY_DELAYS) and now < deadline:
        delivery.next_attempt_at = min(now + timedelta(seconds=RETRY_DELAYS[index]), deadline)
        return
    delivery.status, delivery.next_attempt_at = "failed", None
    disable_endpoint(endpoint, f"its deliveries failed for 24 hours ({delivery.last_error})")


def post(url: str, secret: str, event_id: str, body: bytes) -> tuple[int | None, str]:
    """One signed POST with a bounded timeout. Returns ``(status code or None, error text)``."""
    stamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - http(s) URL checked on save, host checked below
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Herald-Webhooks/1",
            "webhook-id": event_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(secret, event_id, stamp, body),
        },
    )
    problem = egress.destination_problem(
        url, allow_private=current_app.config["HERALD"].webhook_allow_private
    )
    if problem:
        return None, problem
    try:
        with egress.opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}: {exc.read(MAX_RESPONSE_BYTES).decode(errors='replace')}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"could not connect: {reason}"[:500]


def disable_endpoint(endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop posting to an endpoint that keeps failing, and tell the admins by email."""
    if not endpoint.is_enabled:
        return
    from webapp.services.sending.guardrails import notify_admins

    endpoint.is_enabled = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = reason[:1000]
    logger.warning("webhook endpoint %s disabled after persistent failure", endpoint.id)
    notify_admins(
        endpoint.org_id,
        "A webhook endpoint was disabled",
        f"Herald stopped posting events to {endpoint.url} because {reason}.\n\n"
        "Fix the receiver, then enable the endpoint again on the Webhooks settings page; "
        "failed deliveries can be replayed from the delivery log.",
    )
