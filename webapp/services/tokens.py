"""Signed, purpose-scoped tokens for public links (open, click, unsubscribe, preferences,
interview) and for return-path and reply addresses. Verifiable without a database read.

Tokens are signed with the current ``SECRET_KEY`` and verified against it and every key in
``HERALD_OLD_SECRET_KEYS``, so links in mail already delivered keep working across a key
rotation (REQUIREMENTS C8). A token for one purpose never verifies for another: the purpose
is the signer's salt.

The format is itsdangerous' ``URLSafeTimedSerializer`` (compact JSON, zlib when it helps,
URL-safe base64, timestamp, HMAC-SHA1 over a key derived from the salt), so every token ever
sent keeps verifying. Building one through itsdangerous cost ~40 µs (a serializer, a signer
and a key derivation per call) and an email carries a dozen tokens; ``Codec`` derives each
key once per process and keeps a ready HMAC state to copy, ~5 µs a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
import zlib
from functools import lru_cache
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
    "reset",
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
    "reset": 3600,  # HERALD_PASSWORD_RESET_MINUTES decides; this is only the fallback
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


class Codec:
    """Signs and verifies tokens of one purpose with a list of keys (the last one signs)."""

    def __init__(self, purpose: str, keys: tuple[str, ...]) -> None:
        salt = f"herald.{purpose}".encode()
        self.macs = [
            hmac.new(_derive(salt, key), digestmod="sha1") for key in keys
        ]  # itsdangerous' "django-concat" key derivation, done once
        self.signing = self.macs[-1]

    def _signature(self, mac: hmac.HMAC, value: bytes) -> bytes:
        copy = mac.copy()
        copy.update(value)
        return _b64(copy.digest())

    def dumps(self, payload: Any, now: float | None = None) -> str:
        return self.sign_json(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), now)

    def sign_json(self, payload_json: str, now: float | None = None) -> str:
        """``dumps`` for a payload already written as compact JSON."""
        raw = payload_json.encode()
        body = _b64(raw)
        if len(raw) > 200:  # ids compress badly: short payloads are not worth it
            packed = _compress(raw)
            if len(packed) < len(raw) - 1:
                body = b"." + _b64(packed)
        value = body + b"." + _stamp(int(time.time() if now is None else now))
        return (value + b"." + self._signature(self.signing, value)).decode("ascii")

    def loads(self, token: str, max_age: int) -> tuple[Any, int]:
        """The payload and the signing time (epoch seconds); ``BadSignature`` when invalid."""
        data = token.encode("ascii", "strict") if token.isascii() else b""
        value, _, signature = data.rpartition(b".")
        if not value or not any(
            hmac.compare_digest(self._signature(mac, value), signature)
            for mac in reversed(self.macs)
        ):
            raise BadSignature("signature does not match")
        body, _, stamp_part = value.rpartition(b".")
        stamp = int.from_bytes(_unb64(stamp_part), "big")
        if time.time() - stamp > max_age:
            raise SignatureExpired("token expired")
        raw = zlib.decompress(_unb64(body[1:])) if body.startswith(b".") else _unb64(body)
        return json.loads(raw), stamp


def _compress(raw: bytes) -> bytes:
    """A zlib stream as itsdangerous writes it (any zlib stream decompresses the same), with a
    small window and hash: ``zlib.compress``'s defaults allocate ~300 kB per call (~150 µs
    with the page faults), this ~2 kB; a token is a few hundred bytes, so it compresses as
    well."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 9, 1)
    return compressor.compress(raw) + compressor.flush()


def _derive(salt: bytes, key: str) -> bytes:
    # SHA-1 is itsdangerous' default digest: the tokens already in people's mailboxes use it,
    # and HMAC-SHA1 has no known weakness as a MAC.
    return hashlib.sha1(salt + b"signer" + key.encode()).digest()  # noqa: S324


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:
    """URL-safe base64 without padding (``base64.urlsafe_b64encode`` with two calls less)."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


@lru_cache(maxsize=4)
def _stamp(stamp: int) -> bytes:
    """The encoded timestamp: the same for every token signed in the same second."""
    return _b64(stamp.to_bytes((stamp.bit_length() + 7) // 8, "big"))


def _unb64(data: bytes) -> bytes:
    try:
        return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    except ValueError as exc:
        raise BadSignature("malformed token") from exc


@lru_cache(maxsize=64)
def _codec(purpose: str, keys: tuple[str, ...]) -> Codec:
    return Codec(purpose, keys)


def codec(purpose: str) -> Codec:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    settings = current_app.config["HERALD"]
    return _codec(purpose, (*settings.old_secret_keys, settings.secret_key))


def make_token(purpose: str, payload: Any) -> str:
    return codec(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int | None = None) -> Any:
    return read_token_with_time(purpose, token, max_age)[0]


def read_token_with_time(purpose: str, token: str, max_age: int | None = None) -> tuple[Any, int]:
    """The payload and when the token was signed (epoch seconds)."""
    if max_age is None:
        max_age = DEFAULT_MAX_AGE[purpose]
    try:
        return codec(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except (BadSignature, ValueError, TypeError, zlib.error) as exc:
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
    if _b32(raw) + _b32(signature) != token:  # one spelling per token: unused bits must be 0
        raise InvalidToken("invalid")
    settings = current_app.config["HERALD"]
    for key in (settings.secret_key, *settings.old_secret_keys):
        if hmac.compare_digest(_address_signature(purpose, key, raw), signature):
            return uuid.UUID(bytes=raw)
    raise InvalidToken("invalid")
