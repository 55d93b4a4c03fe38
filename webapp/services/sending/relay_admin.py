"""Managing an organization's SMTP relays: save (password encrypted at rest, or the name of an
environment variable holding it), delete, test a connection, and read circuit states."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import redis

from webapp.config import Settings
from webapp.extensions import db
from webapp.models import Relay
from webapp.services.crypto import encrypt
from webapp.services.sending import circuit
from webapp.services.sending.relays import PRESETS, RelayConfig, relay_password
from webapp.services.sending.transport import RelayUnavailable, SMTPSession

FIELDS = ("name", "preset", "host", "port", "security", "username", "password_env", "priority")


def save_relay(org_id: uuid.UUID, data: dict[str, Any], relay: Relay | None = None) -> Relay:
    """Create or update a relay. An empty password keeps the stored one."""
    if relay is None:
        relay = Relay(org_id=org_id)
        db.session.add(relay)
    for name in FIELDS:
        if name in data:
            setattr(relay, name, data[name] if data[name] is not None else "")
    preset = PRESETS.get(relay.preset or "custom", PRESETS["custom"])
    relay.host = (relay.host or preset.host).strip()
    relay.rate_per_second = data.get("rate_per_second") or None
    relay.is_enabled = bool(data.get("is_enabled", True))
    if data.get("password"):
        relay.password_encrypted = encrypt(data["password"])
    if relay.password_env:
        relay.password_encrypted = ""
    db.session.flush()
    return relay


def delete_relay(relay: Relay) -> None:
    db.session.delete(relay)
    db.session.flush()


@dataclass(frozen=True)
class TestResult:
    ok: bool
    detail: str


def test_relay(relay: Relay, settings: Settings) -> TestResult:
    """Connect, say EHLO, STARTTLS and log in as configured, then quit. Nothing is sent."""
    config = RelayConfig(
        key=str(relay.id),
        name=relay.name,
        host=relay.host,
        port=relay.port,
        security=relay.security,
        username=relay.username,
        password=relay_password(relay),
        timeout=min(settings.smtp_timeout, 10.0),
    )
    try:
        with SMTPSession(config):
            pass
    except RelayUnavailable as exc:
        return TestResult(False, exc.reply.describe())
    return TestResult(True, f"Connected to {relay.host}:{relay.port} and signed in.")


def circuit_states(conn: redis.Redis, relays: list[Relay]) -> dict[uuid.UUID, str]:
    try:
        return {relay.id: circuit.state(conn, str(relay.id)) for relay in relays}
    except redis.RedisError:
        return {}
