"""Signed, purpose-scoped tokens for public links (open, click, unsubscribe, preferences,
interview). Verifiable without a database read.

Tokens are signed with the current ``SECRET_KEY`` and verified against it and every key in
``HERALD_OLD_SECRET_KEYS``, so links in mail already delivered keep working across a key
rotation (REQUIREMENTS C8). A token for one purpose never verifies for another: the purpose
is the signer's salt.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("open", "click", "unsubscribe", "preferences", "interview", "digest", "password")

# Unsubscribe links must outlive the 60 days of C8 by a wide margin.
DEFAULT_MAX_AGE = {
    "open": 400 * 86400,
    "click": 400 * 86400,
    "unsubscribe": 400 * 86400,
    "preferences": 400 * 86400,
    "interview": 60 * 86400,
    "digest": 400 * 86400,
    "password": 7 * 86400,
}


class InvalidToken(Exception):
    """Tampered, expired, unknown-purpose or otherwise unusable token."""


def _serializer(purpose: str, keys: list[str] | None = None) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    settings = current_app.config["HERALD"]
    if keys is None:
        keys = [*settings.old_secret_keys, settings.secret_key]  # last one signs
    return URLSafeTimedSerializer(keys, salt=f"herald.{purpose}")


def make_token(purpose: str, payload: Any) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int | None = None) -> Any:
    if max_age is None:
        max_age = DEFAULT_MAX_AGE[purpose]
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken("invalid") from exc


def unverified_org_id(purpose: str, token: str) -> uuid.UUID | None:
    """The organization a public-link token names, read WITHOUT checking signature or age.

    Only for branding the page that says a link is not valid: the organization id in a token
    is readable by whoever holds the link, and that page shows only what every email of the
    organization shows (name, logo, colours, sender address). Nothing else is looked up, so the
    page is the same whether the entry, address or message behind the token exists or not, and
    the same for a tampered token as for a genuine dead one (REQUIREMENTS C5).
    """
    if purpose not in PURPOSES or not token:
        return None
    try:
        _, payload = _serializer(purpose).loads_unsafe(token)
    except Exception:  # any undecodable token just gets the unbranded page
        return None
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], str):
        return None
    try:
        return uuid.UUID(payload[0])
    except ValueError:
        return None
