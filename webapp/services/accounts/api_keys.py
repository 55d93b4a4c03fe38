"""API keys: shown once, stored as a SHA-256 hash, scoped.

Every API request looks its key up, so active keys are kept in a small per-process cache. The
cache is trusted only while a Redis counter (the revocation epoch) is unchanged: revoking a key
bumps it after the commit, so every process stops accepting the key on its next request. When
Redis cannot be read, the database is asked every time.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import select, update

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import ApiKey, utcnow
from webapp.redis_client import get_redis

SCOPES = ("send", "read", "manage")
PREFIX = "hrld_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(
    org_id: uuid.UUID,
    name: str,
    scopes: list[str],
    *,
    created_by_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """Return the key row and the raw key (the only time it exists in clear)."""
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    raw = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        org_id=org_id,
        name=name,
        prefix=raw[: len(PREFIX) + 6],
        key_hash=hash_key(raw),
        scopes=sorted(set(scopes)),
        created_by_id=created_by_id,
    )
    db.session.add(key)
    db.session.flush()
    return key, raw


EPOCH_KEY = "herald:api-keys:epoch"
CACHE_SECONDS = 60.0  # an entry is re-read at least this often even when nothing was revoked
CACHE_SIZE = 10_000


@dataclass(frozen=True)
class ActiveKey:
    """What a request needs of its key (a plain value, safe to keep between requests)."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    prefix: str
    scopes: tuple[str, ...]
    rate_limit_per_minute: int | None
    last_used_at: datetime | None


_cache: dict[str, tuple[float, bytes, ActiveKey | None]] = {}


def _epoch() -> bytes | None:
    try:
        return get_redis().get(EPOCH_KEY) or b"0"
    except redis.RedisError:
        return None


def find_active_key(raw: str) -> ActiveKey | None:
    digest = hash_key(raw)
    epoch = _epoch()
    hit = _cache.get(digest)
    if epoch is not None and hit and hit[1] == epoch and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[2]
    key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    active = None
    if key is not None and key.revoked_at is None:
        active = ActiveKey(
            key.id,
            key.org_id,
            key.name,
            key.prefix,
            tuple(key.scopes or ()),
            key.rate_limit_per_minute,
            key.last_used_at,
        )
    if epoch is not None:
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        _cache[digest] = (time.monotonic(), epoch, active)
    return active


def mark_used(key: ActiveKey, raw: str) -> None:
    """Record the key's last use (the caller commits); the cached copy remembers it."""
    now = utcnow()
    db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    digest = hash_key(raw)
    hit = _cache.get(digest)
    if hit is not None and hit[2] is not None:
        _cache[digest] = (hit[0], hit[1], _with_last_used(hit[2], now))


def _with_last_used(key: ActiveKey, when: datetime) -> ActiveKey:
    return ActiveKey(
        key.id, key.org_id, key.name, key.prefix, key.scopes, key.rate_limit_per_minute, when
    )


def revoke(key: ApiKey) -> None:
    key.revoked_at = key.revoked_at or utcnow()
    after_commit(_bump_epoch)


def _bump_epoch() -> None:
    get_redis().incr(EPOCH_KEY)
