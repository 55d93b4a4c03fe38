"""One provider webhook call: find the configuration, verify, match, store, act, log.

Events go to the Redis stream (stored by the drain, deduplicated by ``<provider>:<event id>``).
A complaint or hard bounce suppresses the address across the organization at once, in this
request (W7); a provider unsubscribe leaves everything. The same event delivered again is
seen in Redis (remembered for a week) and does nothing a second time (W6); the drain's
unique event key is the durable guarantee behind that. Every call is logged with its verdict.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.request
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Message, ProviderConfig, ProviderWebhookLog
from webapp.services import crypto, egress, events, json_body
from webapp.services.consent import preferences, suppressions
from webapp.services.provider_events import Context, Incoming, ProviderEvent, Rejected, providers

logger = logging.getLogger(__name__)
SEEN_TTL = 7 * 86400
FETCH_TIMEOUT = 5.0


@dataclass
class Outcome:
    status: int
    text: str


def https_fetch(url: str) -> bytes:
    """GET an https URL with a bounded timeout (SNS certificates and subscription links);
    redirects are not followed, so the host that was checked is the host that answers."""
    if not url.startswith("https://"):
        raise ValueError("only https URLs are fetched")
    request = urllib.request.Request(url)  # noqa: S310 - https only, host checked by the caller
    with egress.opener().open(request, timeout=FETCH_TIMEOUT) as response:
        return response.read(100_000)


def find_config(provider: str, endpoint_key: str) -> ProviderConfig | None:
    return db.session.scalars(
        select(ProviderConfig).where(
            ProviderConfig.endpoint_key == endpoint_key,
            ProviderConfig.provider == provider,
            ProviderConfig.is_enabled.is_(True),
        )
    ).first()


def config_settings(config: ProviderConfig) -> dict:
    return json.loads(crypto.decrypt(config.settings_encrypted) or "{}")


def save_config(org_id: uuid.UUID, provider: str, values: dict) -> ProviderConfig:
    """Create or update the organization's configuration for ``provider``."""
    if provider not in providers():
        raise ValueError(f"unknown provider {provider!r}")
    config = db.session.scalars(
        select(ProviderConfig).where(
            ProviderConfig.org_id == org_id, ProviderConfig.provider == provider
        )
    ).first()
    if config is None:
        config = ProviderConfig(
            org_id=org_id, provider=provider, endpoint_key=secrets.token_urlsafe(24)
        )
        db.session.add(config)
    config.settings_encrypted = crypto.encrypt(json.dumps(values))
    config.is_enabled = True
    db.session.flush()
    return config


def receive(provider: str, endpoint_key: str, incoming: Incoming, ctx: Context) -> Outcome:
    module = providers().get(provider)
    config = find_config(provider, endpoint_key) if module else None
    if config is None:
        return Outcome(404, "Not found")
    try:
        found = module.parse(incoming, config_settings(config), ctx)
    except Rejected as exc:
        _log(config, "rejected", exc.reason)
        db.session.commit()
        return Outcome(exc.status, exc.reason if exc.status != 500 else "Misconfigured")
    except json_body.BadJson as exc:
        _log(config, "error", f"malformed body: {exc.reason}")
        db.session.commit()
        return Outcome(exc.status, exc.reason)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        _log(config, "error", f"malformed body: {type(exc).__name__}")
        db.session.commit()
        return Outcome(400, "Malformed body")
    fresh = [e for e in found if _first_time(ctx, provider, e)]
    stream = [_act(config, provider, event) for event in fresh]
    verdict = "accepted" if fresh or not found else "duplicate"
    _log(config, verdict, f"{len(found)} event(s), {len(found) - len(fresh)} repeated", len(found))
    db.session.commit()
    events.push_events(ctx.conn, [event for event in stream if event])
    return Outcome(200, "OK")


def _first_time(ctx: Context, provider: str, event: ProviderEvent) -> bool:
    return bool(
        ctx.conn.set(
            f"herald:provider-event:{provider}:{event.event_id}", "1", nx=True, ex=SEEN_TTL
        )
    )


def _act(config: ProviderConfig, provider: str, event: ProviderEvent) -> dict | None:
    """Suppress when the event says so; return the stream event when a message matched."""
    message = match_message(config.org_id, event)
    email = event.email or (message.to_email if message else "")
    source_id = message.id if message else None
    if email and event.type == "complained":
        suppressions.suppress(config.org_id, email, "complaint", source_message_id=source_id)
    elif email and event.type == "bounced" and event.data.get("bounce_type") == "hard":
        suppressions.suppress(config.org_id, email, "hard_bounce", source_message_id=source_id)
    elif email and event.type == "unsubscribed":
        preferences.unsubscribe_all(config.org_id, email, message_id=source_id, source=provider)
    if message is None:
        return None
    return events.make_event(
        org_id=config.org_id,
        message_id=message.id,
        type=event.type,
        occurred_at=event.occurred_at,
        event_id=f"{provider}:{event.event_id}",
        is_machine=event.is_machine,
        machine_reason=event.machine_reason,
        url=event.url,
        user_agent=event.user_agent,
        source=provider,
        data=event.data,
    )


def match_message(org_id: uuid.UUID, event: ProviderEvent) -> Message | None:
    """Our id from metadata, else the uuid in our Message-ID, else the provider's id."""
    for candidate in (event.herald_id, _uuid_in_message_id(event.message_id_header)):
        try:
            message = db.session.get(Message, uuid.UUID(str(candidate))) if candidate else None
        except ValueError:
            message = None
        if message is not None and message.org_id == org_id:
            return message
    if event.provider_message_id:
        return db.session.scalars(
            select(Message).where(
                Message.org_id == org_id, Message.provider_message_id == event.provider_message_id
            )
        ).first()
    return None


def _uuid_in_message_id(value: str | None) -> str | None:
    return (value or "").strip().strip("<>").split("@")[0] or None


def _log(config: ProviderConfig, verdict: str, detail: str, count: int = 0) -> None:
    db.session.add(
        ProviderWebhookLog(
            org_id=config.org_id,
            provider=config.provider,
            verdict=verdict,
            detail=detail[:1000],
            event_count=count,
        )
    )
    if verdict in ("rejected", "error"):
        logger.warning("%s webhook %s: %s", config.provider, verdict, detail)
