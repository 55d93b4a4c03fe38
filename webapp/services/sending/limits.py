"""Sending rates as Redis token buckets shared by every worker (issue 4, item 7).

Each message takes one token from three buckets at once -- its organization, its relay and its
recipient domain -- in one atomic script, all or nothing. A worker takes tokens for a run of
messages to the same domain in one call (at most a second's worth of the slowest bucket), so
Redis sees one round trip per run, not per message. A recipient domain that answers 4xx
is slowed down: each deferral halves its rate (down to 1/32) for ten minutes; the level decays
by one step every ``_RECOVER_SECONDS`` without a new 4xx.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

_SCRIPT = """
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[#ARGV])
local n = #KEYS
local waits = {}
local worst = 0
for i = 1, n do
  local rate = tonumber(ARGV[1 + i])
  if rate > 0 then
    local state = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
    local tokens = tonumber(state[1])
    local ts = tonumber(state[2])
    local capacity = math.max(1, rate)
    if tokens == nil then tokens = capacity; ts = now end
    tokens = math.min(capacity, tokens + (now - ts) * rate)
    waits[i] = tokens
    if tokens < want then
      local wait = (want - tokens) / rate
      if wait > worst then worst = wait end
    end
  end
end
for i = 1, n do
  local rate = tonumber(ARGV[1 + i])
  if rate > 0 then
    local tokens = waits[i]
    if worst == 0 then tokens = tokens - want end
    local capacity = math.max(1, rate)
    redis.call('HSET', KEYS[i], 'tokens', tokens, 'ts', now)
    redis.call('EXPIRE', KEYS[i], math.ceil(capacity / rate) + 60)
  end
end
return tostring(worst)
"""

_SLOW_PREFIX = "herald:domain-slow:"
_MAX_LEVEL = 5
_RECOVER_SECONDS = 120


@dataclass(frozen=True)
class Rates:
    org: float
    relay: float
    domain: float


class Limiter:
    """Takes tokens for one (org, relay) pair; one Redis round trip per message."""

    def __init__(self, conn: redis.Redis, org_key: str, relay_key: str, rates: Rates):
        self.conn = conn
        self.org_key = org_key
        self.relay_key = relay_key
        self.rates = rates
        self._script = conn.register_script(_SCRIPT)
        self._domain_rates: dict[str, float] = {}

    def domain_rate(self, domain: str) -> float:
        if domain not in self._domain_rates:
            level = slow_level(self.conn, domain)
            self._domain_rates[domain] = self.rates.domain / (2**level) if self.rates.domain else 0
        return self._domain_rates[domain]

    def most(self, domain: str) -> int:
        """The largest number of tokens one call may take (a second of the slowest bucket)."""
        rates = [r for r in (self.rates.org, self.rates.relay, self.domain_rate(domain)) if r > 0]
        return max(1, int(min(rates))) if rates else 1_000_000

    def take(self, domain: str, count: int = 1) -> float:
        """0 when ``count`` tokens were taken from every bucket, else the seconds to wait."""
        keys = [
            f"herald:rl:send:org:{self.org_key}",
            f"herald:rl:send:relay:{self.relay_key}",
            f"herald:rl:send:domain:{domain}",
        ]
        rates = [self.rates.org, self.rates.relay, self.domain_rate(domain)]
        return float(self._script(keys=keys, args=[time.time(), *rates, count]))


def slow_level(conn: redis.Redis, domain: str) -> int:
    raw = conn.get(_SLOW_PREFIX + domain)
    if raw is None:
        return 0
    level, since = raw.decode().split(":")
    decayed = int((time.time() - float(since)) // _RECOVER_SECONDS)
    return max(0, min(_MAX_LEVEL, int(level) - decayed))


def slow_down(conn: redis.Redis, domain: str) -> int:
    """A 4xx from ``domain``: halve its rate (one level more), for the next ten minutes."""
    level = min(_MAX_LEVEL, slow_level(conn, domain) + 1)
    conn.set(_SLOW_PREFIX + domain, f"{level}:{time.time()}", ex=600)
    return level
