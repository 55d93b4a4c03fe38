"""Resend webhooks (W5), signed by Svix: HMAC-SHA256 over ``id.timestamp.body``; several
``v1,`` signatures may be sent during a secret rotation; 5-minute tolerance."""

from __future__ import annotations

from webapp.services.provider_events import (
    Context,
    Incoming,
    ProviderEvent,
    Rejected,
    from_iso,
    read_json,
)
from webapp.services.provider_events.standard import SignatureError, verify

LABEL = "Resend"
FIELDS = (("signing_secret", "Signing secret (whsec_…)", True),)
TYPES = {
    "email.delivered": "delivered",
    "email.bounced": "bounced",
    "email.complained": "complained",
    "email.delivery_delayed": "deferred",
    "email.opened": "opened",
    "email.clicked": "clicked",
}


def parse(incoming: Incoming, settings: dict, ctx: Context) -> list[ProviderEvent]:
    headers = incoming.headers
    try:
        verify(
            settings.get("signing_secret", ""),
            headers.get("svix-id", ""),
            headers.get("svix-timestamp", ""),
            headers.get("svix-signature", ""),
            incoming.body,
            now=ctx.now.timestamp(),
        )
    except SignatureError as exc:
        raise Rejected(str(exc)) from exc
    body = read_json(incoming.body)
    kind = TYPES.get(body.get("type", "")) if isinstance(body, dict) else None
    if kind is None:
        return []
    return [_event(headers.get("svix-id", ""), kind, body, ctx)]


def _header(data: dict, name: str) -> str | None:
    for header in data.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == name.lower():
            return header.get("value")
    return None


def _event(svix_id: str, kind: str, body: dict, ctx: Context) -> ProviderEvent:
    data = body.get("data") or {}
    tags = data.get("tags") or {}
    if isinstance(tags, list):
        tags = {t.get("name"): t.get("value") for t in tags if isinstance(t, dict)}
    click = data.get("click") or {}
    event = ProviderEvent(
        event_id=svix_id,
        type=kind,
        occurred_at=from_iso(body.get("created_at"), ctx.now),
        email=str((data.get("to") or [""])[0]),
        herald_id=tags.get("herald_message_id") or _header(data, "X-Herald-Message-Id"),
        provider_message_id=data.get("email_id"),
        url=click.get("link"),
        user_agent=str(click.get("userAgent", ""))[:500],
    )
    if kind == "bounced":
        bounce_type = str((data.get("bounce") or {}).get("type", "Permanent"))
        event.data["bounce_type"] = "soft" if bounce_type.lower() == "transient" else "hard"
    return event
