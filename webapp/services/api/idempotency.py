"""``Idempotency-Key`` (REQUIREMENTS Q5): the same key and body give the same result once.

The record is written in the same transaction as the work it protects, so a request that
fails leaves no record and can be retried with the same key. Two requests racing with one key
meet the unique constraint ``(org_id, key)``: the loser rolls back and replays the winner.
Keys are per organization; records older than ``RETENTION`` may be purged.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import IdempotencyRecord, utcnow

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict[str, Any]


class KeyReused(Exception):
    """The key was used before with a different request."""


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def lookup(org_id: uuid.UUID, key: str, fingerprint: str) -> Replay | None:
    """The stored result for ``key``; :class:`KeyReused` when the request differs."""
    record = db.session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.org_id == org_id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise KeyReused(key)
    return Replay(record.status_code, record.response)


def remember(
    org_id: uuid.UUID, key: str, fingerprint: str, status_code: int, response: dict[str, Any]
) -> None:
    db.session.add(
        IdempotencyRecord(
            org_id=org_id,
            key=key,
            request_hash=fingerprint,
            status_code=status_code,
            response=response,
        )
    )
    db.session.flush()


def purge_expired() -> int:
    """Delete records past their retention (run from a periodic job)."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
    )
    return result.rowcount or 0
