"""Token buckets in Redis, shared by every process on every machine.

One Lua script refills and takes atomically. Used for login attempts, public endpoints, the
API, organizations and relays while sending, and recipient domains.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

_SCRIPT = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + (now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= want then
  tokens = tokens - want
  allowed = 1
else
  wait = (want - tokens) / rate
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', key, math.ceil(capacity / rate) + 60)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float  # seconds until enough tokens


def take(
    conn: redis.Redis,
    key: str,
    *,
    rate_per_second: float,
    capacity: float,
    tokens: float = 1.0,
) -> Verdict:
    script = conn.register_script(_SCRIPT)
    allowed, wait = script(
        keys=[f"herald:rl:{key}"], args=[rate_per_second, capacity, time.time(), tokens]
    )
    return Verdict(bool(int(allowed)), float(wait))


def per_minute(conn: redis.Redis, key: str, limit: int) -> Verdict:
    """At most ``limit`` per minute with bursts of ``limit``."""
    return take(conn, key, rate_per_second=limit / 60.0, capacity=float(limit))
