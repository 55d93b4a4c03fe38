"""Mailgun webhooks (W2): HMAC-SHA256(signing key, ``timestamp + token``), hex.

A token is accepted once (remembered in Redis for a day) and the timestamp must be within
5 minutes, so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac

from webapp.services.provider_events import (
    Context,
    Incoming,
    ProviderEvent,
    Rejected,
    from_timestamp,
    read_json,
)

LABEL = "Mailgun"
FIELDS = (("signing_key", "HTTP webhook signing key", True),)
TOLERANCE = 300
REPLAY_TTL = 86400
TYPES = {
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "clicked",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
}


def verify(body: dict, settings: dict, ctx: Context) -> None:
    signature = body.get("signature") or {}
    stamp, token, given = (str(signature.get(k, "")) for k in ("timestamp", "token", "signature"))
    if not (stamp and token and given):
        raise Rejected("missing signature")
    key = settings.get("signing_key", "").encode()
    expected = hmac.new(key, (stamp + token).encode(), hashlib.sha256).hexdigest()
    if not key or not hmac.compare_digest(expected, given):
        raise Rejected("signature does not match")
    try:
        age = ctx.now.timestamp() - float(stamp)
    except ValueError as exc:
        raise Rejected("malformed timestamp") from exc
    if abs(age) > TOLERANCE:
        raise Rejected("timestamp outside the 5-minute tolerance")
    digest = hashlib.sha256(token.encode()).hexdigest()
    if not ctx.conn.set(f"herald:mailgun-token:{digest}", "1", nx=True, ex=REPLAY_TTL):
        raise Rejected("token already used (replay)")


def parse(incoming: Incoming, settings: dict, ctx: Context) -> list[ProviderEvent]:
    body = read_json(incoming.body)
    if not isinstance(body, dict):
        raise ValueError("Mailgun posts a JSON object")
    verify(body, settings, ctx)
    event = _event(body.get("event-data") or {}, ctx)
    return [event] if event else []


def _event(data: dict, ctx: Context) -> ProviderEvent | None:
    name = data.get("event", "")
    kind = TYPES.get(name)
    if name == "failed":
        kind = "bounced" if data.get("severity") == "permanent" else "deferred"
    if kind is None or not data.get("id"):
        return None
    message = data.get("message") or {}
    headers = message.get("headers") or {}
    variables = data.get("user-variables") or {}
    event = ProviderEvent(
        event_id=str(data["id"]),
        type=kind,
        occurred_at=from_timestamp(data.get("timestamp"), ctx.now),
        email=str(data.get("recipient", "")),
        herald_id=variables.get("herald_message_id"),
        message_id_header=headers.get("message-id"),
        url=data.get("url"),
        user_agent=str((data.get("client-info") or {}).get("user-agent", ""))[:500],
    )
    if kind == "bounced":
        event.data["bounce_type"] = "hard"
        event.data["reason"] = str((data.get("delivery-status") or {}).get("message", ""))[:500]
    bot = (data.get("client-info") or {}).get("bot")
    if kind in ("opened", "clicked") and bot:
        event.is_machine, event.machine_reason = True, f"provider_bot:{str(bot)[:40]}"
    return event
