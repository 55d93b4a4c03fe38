"""API keys: shown once, stored as a SHA-256 hash, scoped."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ApiKey, utcnow

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


def find_active_key(raw: str) -> ApiKey | None:
    key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(raw))).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def revoke(key: ApiKey) -> None:
    key.revoked_at = key.revoked_at or utcnow()
