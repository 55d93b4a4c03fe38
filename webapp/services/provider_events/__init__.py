"""Provider webhooks: verify each provider's signature, normalize its events (W1-W7).

One module per provider (``sendgrid``, ``mailgun``, ``ses``, ``postmark``, ``resend``), each
with ``LABEL``, ``FIELDS`` (the per-organization settings it needs, ``(key, label, secret?)``)
and ``parse(incoming, settings, ctx) -> list[ProviderEvent]`` that raises :class:`Rejected`
when the request is not genuine. :mod:`.intake` does the rest (match, store, act, log).

Normalized vocabulary: delivered, bounced (``data.bounce_type`` hard|soft), complained,
deferred, opened, clicked (with ``is_machine``/``machine_reason`` from provider flags or our
classifier), unsubscribed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

MAX_BODY_BYTES = 5 * 1024 * 1024  # SendGrid batches stay well under; an SNS message is 256 KB


class Rejected(Exception):
    """Not a genuine request: answered with ``status`` and logged with ``reason``."""

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass
class Incoming:
    headers: Mapping[str, str]
    body: bytes
    remote_addr: str | None = None


@dataclass
class Context:
    conn: redis.Redis
    fetch: Callable[[str], bytes]  # HTTPS GET (SNS certificates, SubscribeURL); injectable
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class ProviderEvent:
    event_id: str
    type: str
    occurred_at: datetime
    email: str = ""
    herald_id: str | None = None  # our Message id, from custom args / metadata / header
    message_id_header: str | None = None  # the Message-ID we sent, ``<uuid@domain>``
    provider_message_id: str | None = None
    is_machine: bool = False
    machine_reason: str = ""
    url: str | None = None
    user_agent: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def read_json(body: bytes) -> Any:
    """The body as JSON, bounded in size and depth (:class:`json_body.BadJson` otherwise)."""
    from webapp.services import json_body

    return json_body.parse(body, max_bytes=MAX_BODY_BYTES)


def from_timestamp(value: Any, default: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default


def from_iso(value: Any, default: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def providers() -> dict[str, Any]:
    from webapp.services.provider_events import mailgun, postmark, resend, sendgrid, ses

    return {
        "sendgrid": sendgrid,
        "mailgun": mailgun,
        "ses": ses,
        "postmark": postmark,
        "resend": resend,
    }
