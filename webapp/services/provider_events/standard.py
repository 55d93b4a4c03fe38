"""Standard Webhooks (the scheme Svix and Resend use, and that Herald signs outgoing posts with).

Signature: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the secret's bytes (the
part after ``whsec_``, base64). Several space-separated signatures may be sent during a key
rotation; any one that matches is enough. Timestamps older or newer than the tolerance are
refused so a captured request cannot be replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    """The request is not signed by the holder of the secret (or is too old)."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise SignatureError("malformed secret") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    msg_id: str,
    timestamp: str,
    signature_header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise :class:`SignatureError` unless one of the ``v1`` signatures matches."""
    if not (msg_id and timestamp and signature_header):
        raise SignatureError("missing signature headers")
    try:
        stamp = int(timestamp)
    except ValueError as exc:
        raise SignatureError("malformed timestamp") from exc
    if abs((now or time.time()) - stamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    expected = sign(secret, msg_id, stamp, body)
    for candidate in signature_header.split():
        if candidate.startswith("v1,") and hmac.compare_digest(candidate, expected):
            return
    raise SignatureError("no matching signature")
