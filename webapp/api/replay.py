"""Run a write under an ``Idempotency-Key`` (REQUIREMENTS Q5) and commit it once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, request
from sqlalchemy.exc import IntegrityError

from webapp.api.framework import ApiError, invalid, json_response
from webapp.extensions import db
from webapp.services.api import idempotency

IDEMPOTENCY_HEADER = {
    "Idempotency-Key": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": r"\S",  # surrounding blanks are ignored; a blank key is refused
        "description": "Same key and body: the first result is returned again, nothing is "
        "created twice. Same key, other body: 422. Kept for 24 hours, per organization.",
    }
}


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > idempotency.MAX_KEY_LENGTH or "\x00" in key:
        raise invalid([{"field": "Idempotency-Key", "message": "must be 1 to 200 characters"}])
    return key


def run(action: Callable[[str | None], tuple[dict[str, Any], int]], body: Any):
    """``action(key)`` does the work and returns ``(payload, status)``; this commits it."""
    key = idempotency_key()
    if key is None:
        payload, status = action(None)
        db.session.commit()
        return json_response(payload, status)
    fingerprint = idempotency.request_fingerprint(request.method, request.path, body)
    replay = _replay(key, fingerprint)
    if replay is not None:
        return replay
    try:
        payload, status = action(key)
        idempotency.remember(g.org_id, key, fingerprint, status, payload)
        db.session.commit()
    except IntegrityError:
        # Another request with this key won the race: answer with its result.
        db.session.rollback()
        replay = _replay(key, fingerprint)
        if replay is None:
            raise ApiError(409, "Conflict", "This Idempotency-Key was already used.") from None
        return replay
    return json_response(payload, status)


def _replay(key: str, fingerprint: str):
    try:
        found = idempotency.lookup(g.org_id, key, fingerprint)
    except idempotency.KeyReused:
        raise ApiError(
            422,
            "Idempotency-Key reused",
            "This Idempotency-Key was used with a different request. Use a new key.",
        ) from None
    if found is None:
        return None
    return json_response(found.response, found.status_code, {"Idempotent-Replayed": "true"})
