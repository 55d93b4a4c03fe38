"""Where mail goes: the organization's relays (in priority order) or the default relay.

A relay is turned into a :class:`RelayConfig` (plain data, the password decrypted or read from
the environment) so the transport never touches the database. Presets fill the host and port of
a provider's SMTP endpoint and name the header its webhooks echo back, so provider events can
be matched to the Message row.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from webapp.config import Settings
from webapp.extensions import db
from webapp.models import Relay
from webapp.services.crypto import decrypt

DEFAULT_RELAY_KEY = "default"


@dataclass(frozen=True)
class Preset:
    label: str
    host: str
    port: int
    security: str
    username_hint: str = ""


PRESETS: dict[str, Preset] = {
    "custom": Preset("Custom SMTP server", "", 587, "starttls"),
    "sendgrid": Preset("SendGrid", "smtp.sendgrid.net", 587, "starttls", "apikey"),
    "mailgun": Preset("Mailgun", "smtp.mailgun.org", 587, "starttls", "postmaster@your-domain"),
    "ses": Preset("Amazon SES", "email-smtp.us-east-1.amazonaws.com", 587, "starttls", "SMTP user"),
    "postmark": Preset("Postmark", "smtp.postmarkapp.com", 587, "starttls", "server API token"),
    "resend": Preset("Resend", "smtp.resend.com", 587, "starttls", "resend"),
}


@dataclass(frozen=True)
class RelayConfig:
    key: str  # stable id for circuit breaker and rate-limit keys
    name: str
    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    username: str = ""
    password: str = field(default="", repr=False)  # never in a repr, so never in a log
    rate_per_second: float = 0.0
    preset: str = "custom"
    timeout: float = 10.0


def default_relay(settings: Settings) -> RelayConfig:
    return RelayConfig(
        key=DEFAULT_RELAY_KEY,
        name="default",
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        rate_per_second=settings.smtp_rate_per_second,
        timeout=settings.smtp_timeout,
    )


def relay_password(relay: Relay) -> str:
    if relay.password_env:
        return os.environ.get(relay.password_env, "")
    return decrypt(relay.password_encrypted)


def org_relays(org_id: uuid.UUID, settings: Settings) -> list[RelayConfig]:
    """The enabled relays of the organization by priority, else the default relay."""
    rows = db.session.scalars(
        select(Relay)
        .where(Relay.org_id == org_id, Relay.is_enabled.is_(True))
        .order_by(Relay.priority, Relay.created_at)
    ).all()
    if not rows:
        return [default_relay(settings)]
    return [
        RelayConfig(
            key=str(row.id),
            name=row.name,
            host=row.host,
            port=row.port,
            security=row.security,
            username=row.username,
            password=relay_password(row),
            rate_per_second=row.rate_per_second or 0.0,
            preset=row.preset,
            timeout=settings.smtp_timeout,
        )
        for row in rows
    ]


def matching_headers(preset: str, message_id: uuid.UUID) -> dict[str, str]:
    """Headers a provider echoes back in its webhooks so an event finds its Message row.

    ``X-Herald-Message-Id`` is always added (and is what Resend's webhooks return with the
    email's headers); the others are each provider's documented custom-metadata header.
    """
    value = str(message_id)
    headers = {"X-Herald-Message-Id": value}
    if preset == "sendgrid":
        args = {"unique_args": {"herald_message_id": value}}
        headers["X-SMTPAPI"] = json.dumps(args, separators=(",", ":"))
    elif preset == "mailgun":
        headers["X-Mailgun-Variables"] = json.dumps({"herald_message_id": value})
    elif preset == "ses":
        headers["X-SES-MESSAGE-TAGS"] = f"herald_message_id={value}"
    elif preset == "postmark":
        headers["X-PM-Metadata-herald_message_id"] = value
    return headers
