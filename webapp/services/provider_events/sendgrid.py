"""SendGrid Event Webhook (W1): ECDSA P-256 / SHA-256 over ``timestamp + raw body``.

Headers ``X-Twilio-Email-Event-Webhook-Signature`` (base64 DER signature) and
``X-Twilio-Email-Event-Webhook-Timestamp``; the public key is the one SendGrid shows when
"Signed Event Webhook" is on (base64 DER, or PEM). Timestamps older than 5 minutes are refused.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from webapp.services.provider_events import (
    Context,
    Incoming,
    ProviderEvent,
    Rejected,
    from_timestamp,
    read_json,
)

LABEL = "SendGrid"
FIELDS = (("public_key", "Verification key (from Mail Settings → Signed Event Webhook)", False),)
TOLERANCE = 300
SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
TYPES = {
    "delivered": "delivered",
    "bounce": "bounced",
    "deferred": "deferred",
    "open": "opened",
    "click": "clicked",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}


def _public_key(text: str) -> ec.EllipticCurvePublicKey:
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text))
    except (ValueError, binascii.Error) as exc:
        raise Rejected("the configured verification key is not a valid public key", 500) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Rejected("the configured verification key is not an ECDSA key", 500)
    return key


def verify(incoming: Incoming, settings: dict, ctx: Context) -> None:
    signature, stamp = incoming.headers.get(SIGNATURE), incoming.headers.get(TIMESTAMP)
    if not signature or not stamp:
        raise Rejected("missing signature headers")
    try:
        age = ctx.now.timestamp() - int(stamp)
        raw_signature = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise Rejected("malformed signature headers") from exc
    if abs(age) > TOLERANCE:
        raise Rejected("timestamp outside the 5-minute tolerance")
    try:
        _public_key(settings.get("public_key", "")).verify(
            raw_signature, stamp.encode() + incoming.body, ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature as exc:
        raise Rejected("signature does not match") from exc


def parse(incoming: Incoming, settings: dict, ctx: Context) -> list[ProviderEvent]:
    verify(incoming, settings, ctx)
    items = read_json(incoming.body)
    if not isinstance(items, list):
        raise ValueError("SendGrid posts a JSON array of events")
    return [event for item in items if (event := _event(item, ctx))]


def _event(item: dict, ctx: Context) -> ProviderEvent | None:
    kind = TYPES.get(item.get("event", ""))
    if kind is None or not item.get("sg_event_id"):
        return None
    event = ProviderEvent(
        event_id=str(item["sg_event_id"]),
        type=kind,
        occurred_at=from_timestamp(item.get("timestamp"), ctx.now),
        email=str(item.get("email", "")),
        herald_id=item.get("herald_message_id"),
        message_id_header=item.get("smtp-id"),
        provider_message_id=(item.get("sg_message_id") or "").split(".")[0] or None,
        url=item.get("url"),
        user_agent=str(item.get("useragent", ""))[:500],
    )
    if kind == "bounced":
        event.data["bounce_type"] = "soft" if item.get("type") == "blocked" else "hard"
        event.data["reason"] = str(item.get("reason", ""))[:500]
    if kind == "opened" and item.get("sg_machine_open"):
        event.is_machine, event.machine_reason = True, "provider_machine_open"
    return event
