"""DKIM signatures (RFC 6376, rsa-sha256, relaxed/relaxed) over the exact bytes that are sent.

dkimpy re-parses the PEM key (in pure Python) and signs with pure-Python RSA on every call,
~13 ms a message; here the key is parsed once (cached) and signed with ``cryptography``
(OpenSSL), ~1 ms. The canonicalization follows RFC 6376 section 3.4.2 and 3.4.4; every
signature the tests make is verified with dkimpy's ``dkim.verify`` on the received bytes.
``h=`` always names List-Unsubscribe and List-Unsubscribe-Post when present (C1).
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils

SIGNED_HEADERS = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
)
_WSP = re.compile(rb"[ \t]+")
_SPACES = re.compile(rb"  +")
_TRAILING_WSP = re.compile(rb"[ \t]+\r\n")
_FOLD = re.compile(rb"\r\n(?=[ \t])")


@dataclass(frozen=True)
class DkimKey:
    domain: str
    selector: str
    private_key_pem: bytes = field(repr=False)


@lru_cache(maxsize=64)
def _load_key(pem: bytes):
    return serialization.load_pem_private_key(pem, password=None)


def _split(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Header fields as (lower-case name, raw field incl. CRLF), and the body."""
    head, _, body = data.partition(b"\r\n\r\n")
    fields: list[tuple[bytes, bytes]] = []
    for line in (head + b"\r\n").split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            name, raw = fields[-1]
            fields[-1] = (name, raw + line + b"\r\n")
        else:
            fields.append((line.split(b":", 1)[0].strip().lower(), line + b"\r\n"))
    return fields, body


def relaxed_header(raw: bytes) -> bytes:
    name, _, value = raw.partition(b":")
    value = _FOLD.sub(b"", value.rstrip(b"\r\n"))
    value = _WSP.sub(b" ", value).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def relaxed_body(body: bytes) -> bytes:
    body = _trim_line_ends(_collapse_spaces(body))
    if not body.endswith(b"\r\n"):
        body = _TRAILING_WSP.sub(b"\r\n", body + b"\r\n")
    body = body.rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def _collapse_spaces(body: bytes) -> bytes:
    """Runs of spaces and tabs as one space. A quoted-printable body has no tabs (they are
    encoded): then only runs of two spaces or more change, which the regex engine finds by
    literal search, ~50x faster than stopping at each of ~2,000 single spaces (~1.5 ms)."""
    if b"\t" in body:
        return _WSP.sub(b" ", body)
    return _SPACES.sub(b" ", body)


def _trim_line_ends(body: bytes) -> bytes:
    """Without whitespace before line ends (quoted-printable bodies have none)."""
    if b" \r\n" not in body and b"\t\r\n" not in body:
        return body
    return _TRAILING_WSP.sub(b"\r\n", body)


def _select(fields: list[tuple[bytes, bytes]], names: list[bytes]) -> list[bytes]:
    """For each name, the last not yet used instance, from the bottom (RFC 6376 5.4.2)."""
    used: dict[bytes, int] = {}
    chosen = []
    for name in names:
        instances = [raw for field_name, raw in fields if field_name == name]
        index = used.get(name, 0)
        if index < len(instances):
            chosen.append(instances[len(instances) - 1 - index])
            used[name] = index + 1
    return chosen


def sign(data: bytes, key: DkimKey) -> bytes:
    """Prepend a DKIM-Signature over ``data``; the result is what must be sent, unchanged."""
    fields, body = _split(data)
    present = {name for name, _ in fields}
    names = [h.encode() for h in SIGNED_HEADERS if h.encode() in present]
    body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
    tags = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={key.domain}; s={key.selector};\r\n"
        f"\tt={int(time.time())}; h={':'.join(n.decode() for n in names)};\r\n"
        f"\tbh={body_hash};\r\n\tb="
    )
    hashed = b"".join(relaxed_header(raw) for raw in _select(fields, names))
    hashed += relaxed_header(f"DKIM-Signature: {tags}".encode()).rstrip(b"\r\n")
    private_key = _load_key(key.private_key_pem)
    digest = hashlib.sha256(hashed).digest()
    signature = private_key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    encoded = base64.b64encode(signature).decode()
    folded = "\r\n\t".join(encoded[i : i + 72] for i in range(0, len(encoded), 72))
    return f"DKIM-Signature: {tags}{folded}\r\n".encode() + data
