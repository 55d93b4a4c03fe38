"""Per-client rate limits for public endpoints: 429 with ``Retry-After`` (REQUIREMENTS P4)."""

from __future__ import annotations

import hashlib
import math

import redis
from flask import Response, abort, request

from webapp.redis_client import get_redis
from webapp.services import ratelimit


def client_key() -> str:
    # The remote address is hashed: rate-limit keys in Redis hold no personal data.
    return hashlib.sha256((request.remote_addr or "-").encode()).hexdigest()[:24]


def enforce(bucket: str, limit_per_minute: int, *, key: str | None = None) -> None:
    """Abort with 429 when the client has used its budget. Fails open if Redis is down."""
    try:
        verdict = ratelimit.per_minute(
            get_redis(), f"{bucket}:{key or client_key()}", limit_per_minute
        )
    except redis.RedisError:
        return
    if not verdict.allowed:
        response = Response("Too many requests. Try again shortly.", status=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(verdict.retry_after)))
        abort(response)
