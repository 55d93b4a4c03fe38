"""Postmark webhooks (W4): HTTP Basic credentials set per organization (Postmark puts them
in the webhook URL, ``https://user:pass@…``). Wrong or missing credentials get 401."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from webapp.services.provider_events import (
    Context,
    Incoming,
    ProviderEvent,
    Rejected,
    from_iso,
    read_json,
)
from webapp.services.tracking.classify import classify_open

LABEL = "Postmark"
FIELDS = (("username", "Basic auth username", False), ("password", "Basic auth password", True))
HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "SpamNotification"}


def verify(incoming: Incoming, settings: dict) -> None:
    header = incoming.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        raise Rejected("missing credentials")
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Rejected("malformed credentials") from exc
    want_user, want_password = settings.get("username", ""), settings.get("password", "")
    ok_user = hmac.compare_digest(user.encode(), want_user.encode())
    ok_password = hmac.compare_digest(password.encode(), want_password.encode())
    if not (want_user and want_password and ok_user and ok_password):
        raise Rejected("wrong credentials")


def parse(incoming: Incoming, settings: dict, ctx: Context) -> list[ProviderEvent]:
    verify(incoming, settings)
    record = read_json(incoming.body)
    if not isinstance(record, dict):
        raise ValueError("Postmark posts one JSON object")
    event = _event(record, hashlib.sha256(incoming.body).hexdigest(), ctx)
    return [event] if event else []


def _event(record: dict, digest: str, ctx: Context) -> ProviderEvent | None:
    kind = {
        "Delivery": "delivered",
        "Bounce": "bounced",
        "SpamComplaint": "complained",
        "Open": "opened",
        "Click": "clicked",
    }.get(record.get("RecordType", ""))
    if record.get("RecordType") == "SubscriptionChange" and record.get("SuppressSending"):
        kind = "unsubscribed"
    if kind is None:
        return None
    when = (
        record.get("DeliveredAt") or record.get("BouncedAt") or record.get("ReceivedAt")
        or record.get("ChangedAt")
    )  # fmt: skip
    event = ProviderEvent(
        event_id=f"{record.get('RecordType')}:{record.get('ID') or digest}",
        type=kind,
        occurred_at=from_iso(when, ctx.now),
        email=str(record.get("Recipient") or record.get("Email") or ""),
        herald_id=(record.get("Metadata") or {}).get("herald_message_id"),
        provider_message_id=record.get("MessageID"),
        url=record.get("OriginalLink"),
        user_agent=str(record.get("UserAgent", ""))[:500],
    )
    if kind == "bounced":
        event.data["bounce_type"] = "hard" if record.get("Type") in HARD else "soft"
    if kind == "opened":
        verdict = classify_open(method="GET", user_agent=event.user_agent, ip=None)
        event.is_machine, event.machine_reason = verdict.is_machine, verdict.reason
    return event
