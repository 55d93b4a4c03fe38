"""The buffered pixel path (production default): events reach the Redis stream from a
background thread, and the per-client limit is shared across processes through Redis."""

from __future__ import annotations

import time

import pytest
import redis

from webapp.redis_client import get_redis
from webapp.services.events import EVENTS_KEY
from webapp.services.tracking.buffer import PixelBuffer


def wait_for(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_buffered_events_reach_the_stream_within_milliseconds(app):
    conn = get_redis()
    pixel = PixelBuffer(conn, flush_ms=10, limit_per_minute=1000)
    for n in range(5):
        pixel.add("client-a", {"id": f"e{n}", "type": "opened"})
    assert wait_for(lambda: conn.llen(EVENTS_KEY) == 5)


def test_limit_is_shared_by_two_processes_buffers(app):
    conn = get_redis()
    first = PixelBuffer(conn, flush_ms=10, limit_per_minute=3)
    second = PixelBuffer(conn, flush_ms=10, limit_per_minute=3)
    first.add("client-a", None)
    first.add("client-a", None)
    second.add("client-a", None)
    second.add("client-a", None)  # four hits in all: one over the shared limit
    first.flush()
    second.flush()
    assert second.retry_after("client-a") > 0
    first.add("client-a", None)
    first.flush()
    assert first.retry_after("client-a") > 0, "the other process learned the shared total"
    assert first.retry_after("client-b") == 0


def test_redis_outage_keeps_events_for_the_next_flush(app):
    conn = get_redis()
    pixel = PixelBuffer(conn, flush_ms=10_000, limit_per_minute=1000)
    pixel.add("client-a", {"id": "kept", "type": "opened"})
    original = pixel.conn
    pixel.conn = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(redis.RedisError):
        pixel.flush()
    pixel.conn = original
    pixel.flush()
    assert conn.llen(EVENTS_KEY) == 1
