"""A circuit breaker per relay, kept in Redis so every worker on every machine agrees (S6).

closed: the relay takes traffic; each connection failure counts, a success resets the count.
open: after ``threshold`` consecutive failures the relay is skipped for ``cooldown`` seconds.
half-open: once the cooldown has passed, exactly one worker gets to probe it (``SET NX``); a
success closes the circuit, a failure opens it for another cooldown.
"""

from __future__ import annotations

import time

import redis

_PREFIX = "herald:circuit:"


def _key(relay_key: str) -> str:
    return f"{_PREFIX}{relay_key}"


def state(conn: redis.Redis, relay_key: str) -> str:
    open_until = conn.hget(_key(relay_key), "open_until")
    if open_until is None:
        return "closed"
    return "open" if float(open_until) > time.time() else "half-open"


def allow(conn: redis.Redis, relay_key: str, *, cooldown: float) -> bool:
    """May this worker use the relay now? In half-open state only one probe is let through."""
    current = state(conn, relay_key)
    if current == "closed":
        return True
    if current == "open":
        return False
    return bool(conn.set(_key(relay_key) + ":probe", "1", nx=True, ex=max(1, int(cooldown))))


def last_error(conn: redis.Redis, relay_key: str) -> str:
    """The failure that counted last against the relay's circuit ("" when none is known)."""
    reason = conn.hget(_key(relay_key), "reason")
    return reason.decode() if isinstance(reason, bytes) else (reason or "")


def record_success(conn: redis.Redis, relay_key: str) -> None:
    if conn.exists(_key(relay_key)):
        conn.delete(_key(relay_key), _key(relay_key) + ":probe")


def record_failure(
    conn: redis.Redis, relay_key: str, *, threshold: int, cooldown: float, reason: str = ""
) -> bool:
    """Count a failure (``reason``: what the relay answered, kept for people to read);
    returns True when the circuit is (now) open."""
    key = _key(relay_key)
    failures = conn.hincrby(key, "failures", 1)
    if reason:
        conn.hset(key, "reason", reason[:500])
    conn.expire(key, int(cooldown * 10) + 60)
    if failures >= threshold:
        conn.hset(key, "open_until", time.time() + cooldown)
        conn.delete(key + ":probe")
        return True
    return False
