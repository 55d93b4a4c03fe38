"""Signed, purpose-scoped tokens for public links (open, click, unsubscribe, preferences,
interview) and for return-path and reply addresses. Verifiable without a database read.

Tokens are signed with the current ``SECRET_KEY`` and verified against it and every key in
``HERALD_OLD_SECRET_KEYS``, so links in mail already delivered keep working across a key
rotation (REQUIREMENTS C8). A token for one purpose never verifies for another: the purpose
is the signer's salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = (
    "open",
    "click",
    "unsubscribe",
    "preferences",
    "interview",
    "digest",
    "password",
    "bounce",
    "reply",
    "feedback",
)
ADDRESS_PURPOSES = ("bounce", "reply", "feedback")

# Unsubscribe links must outlive the 60 days of C8 by a wide margin.
DEFAULT_MAX_AGE = {
    "open": 400 * 86400,
    "click": 400 * 86400,
    "unsubscribe": 400 * 86400,
    "preferences": 400 * 86400,
    "interview": 60 * 86400,
    "digest": 400 * 86400,
    "password": 7 * 86400,
    "bounce": 400 * 86400,
    "reply": 400 * 86400,
    "feedback": 400 * 86400,
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


# Address tokens go into the local part of an email address (``bounces+<token>@…``), which
# RFC 5321 caps at 64 octets and which some servers lower-case: so they are short, lower-case
# base32 (the message id's 16 bytes, then 8 bytes of HMAC-SHA256 keyed by the secret and the
# purpose), 39 characters, and carry no timestamp. A late bounce or a reply may come months
# after the message; the message row is what ages.
_SIGNATURE_BYTES = 8


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def _address_signature(purpose: str, key: str, raw: bytes) -> bytes:
    digest = hmac.new(key.encode(), f"herald.{purpose}.".encode() + raw, hashlib.sha256)
    return digest.digest()[:_SIGNATURE_BYTES]


def make_address_token(purpose: str, message_id: uuid.UUID) -> str:
    """A token for a message id (bounce, reply) or an organization id (feedback)."""
    if purpose not in ADDRESS_PURPOSES:
        raise ValueError(f"unknown address token purpose {purpose!r}")
    key = current_app.config["HERALD"].secret_key
    raw = message_id.bytes
    return _b32(raw) + _b32(_address_signature(purpose, key, raw))


def read_address_token(purpose: str, token: str) -> uuid.UUID:
    """The message id in ``token``; raises :class:`InvalidToken` unless a key signed it."""
    if purpose not in ADDRESS_PURPOSES:
        raise ValueError(f"unknown address token purpose {purpose!r}")
    token = (token or "").strip().lower()
    if len(token) != 39:
        raise InvalidToken("invalid")
    try:
        raw = base64.b32decode(token[:26].upper() + "======")
        signature = base64.b32decode(token[26:].upper() + "===")
    except (ValueError, TypeError) as exc:
        raise InvalidToken("invalid") from exc
    settings = current_app.config["HERALD"]
    for key in (settings.secret_key, *settings.old_secret_keys):
        if hmac.compare_digest(_address_signature(purpose, key, raw), signature):
            return uuid.UUID(bytes=raw)
    raise InvalidToken("invalid")
