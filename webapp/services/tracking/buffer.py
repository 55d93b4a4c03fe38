"""Open-pixel events buffered per process and flushed to Redis by a background thread.

The pixel is the hottest public route (every opened email loads it), so with
``HERALD_TRACKING_FLUSH_MS`` > 0 it does no network I/O at all: the event goes into an
in-process buffer and a daemon thread pushes the buffer to the Redis stream every few
milliseconds in one pipeline. The per-client rate limit (P4) stays shared across processes:
each flush adds this process's hits per client to a per-minute counter in Redis and learns
the shared totals, and a client over the limit is answered 429 until the minute ends.

Trade-off (documented in docs/tracking.md): a worker killed with SIGKILL loses the opens of
its last few milliseconds; a normal shutdown flushes. If Redis is away, the buffer holds up
to ``MAX_BUFFERED`` events and then drops the oldest, logging it. Tests and
``HERALD_TRACKING_FLUSH_MS=0`` push synchronously instead (``hits.limit_and_push``).
"""

from __future__ import annotations

import atexit
import collections
import json
import logging
import os
import threading
import time

import redis

from webapp.services.events import EVENTS_KEY

logger = logging.getLogger(__name__)
MAX_BUFFERED = 100_000


class PixelBuffer:
    def __init__(self, conn: redis.Redis, *, flush_ms: int, limit_per_minute: int):
        self.conn, self.interval = conn, flush_ms / 1000.0
        self.limit = limit_per_minute
        self.events: collections.deque[str] = collections.deque(maxlen=MAX_BUFFERED)
        self.hits: collections.Counter[str] = collections.Counter()
        self.blocked: dict[str, float] = {}  # client -> until (epoch seconds)
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="pixel-flush", daemon=True)
        self.thread.start()
        atexit.register(self.flush)

    def retry_after(self, client: str) -> float:
        """Seconds the client must wait (0: allowed)."""
        until = self.blocked.get(client)
        if until is None:
            return 0.0
        remaining = until - time.time()
        if remaining <= 0:
            self.blocked.pop(client, None)
            return 0.0
        return remaining

    def add(self, client: str, event: dict | None) -> None:
        with self.lock:
            self.hits[client] += 1
            if event is not None:
                if len(self.events) == MAX_BUFFERED:
                    logger.warning("pixel buffer full: dropping the oldest open event")
                self.events.append(json.dumps(event, separators=(",", ":")))

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.flush()
            except redis.RedisError:
                logger.warning(
                    "pixel buffer: Redis unavailable, %s events waiting", len(self.events)
                )
            except Exception:
                logger.exception("pixel buffer flush failed")

    def flush(self) -> None:
        with self.lock:
            events, self.events = list(self.events), collections.deque(maxlen=MAX_BUFFERED)
            hits, self.hits = self.hits, collections.Counter()
        if not events and not hits:
            return
        window = int(time.time() // 60)
        pipe = self.conn.pipeline(transaction=False)
        if events:
            pipe.rpush(EVENTS_KEY, *events)
        clients = list(hits)
        for client in clients:
            key = f"herald:rl:pixel:{client}:{window}"
            pipe.incrby(key, hits[client])
            pipe.expire(key, 120)
        try:
            results = pipe.execute()
        except redis.RedisError:
            with self.lock:  # put the events back in front, in order
                self.events.extendleft(reversed(events))
            raise
        totals = results[1 if events else 0 :: 2]
        until = (window + 1) * 60.0
        for client, total in zip(clients, totals, strict=True):
            if int(total) > self.limit:
                self.blocked[client] = until


_buffers: dict[tuple, PixelBuffer] = {}
_create = threading.Lock()


def buffer_for(conn: redis.Redis, *, flush_ms: int, limit_per_minute: int) -> PixelBuffer:
    """This process's buffer for this Redis client and limit (created after a fork, in the
    process that uses it; an app made again with other settings gets its own)."""
    key = (os.getpid(), id(conn), flush_ms, limit_per_minute)
    found = _buffers.get(key)
    if found is None:
        with _create:
            found = _buffers.get(key)
            if found is None:
                found = PixelBuffer(conn, flush_ms=flush_ms, limit_per_minute=limit_per_minute)
                _buffers[key] = found
    return found
