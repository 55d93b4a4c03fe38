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


def away_from_a_minute_edge() -> None:
    """The shared limit counts per clock minute: do not start a check as a minute ends."""
    if time.time() % 60 > 57:
        time.sleep(60.2 - time.time() % 60)


def test_buffered_events_reach_the_stream_within_milliseconds(app):
    conn = get_redis()
    pixel = PixelBuffer(conn, flush_ms=10, limit_per_minute=1000)
    for n in range(5):
        pixel.add("client-a", {"id": f"e{n}", "type": "opened"})
    assert wait_for(lambda: conn.llen(EVENTS_KEY) == 5)


def test_limit_is_shared_by_two_processes_buffers(app):
    conn = get_redis()
    away_from_a_minute_edge()
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


@pytest.fixture
def production_pixel(app_settings):
    """The app as deployed: the pixel's WSGI fast path with a 10 ms buffer."""
    app_settings.update(testing=False, tracking_flush_ms=10)
    return app_settings


def test_fast_path_pixel_same_gif_events_and_rate_limit(production_pixel, app, org):
    from tests.test_tracking_helpers import make_sent_message, run_drain
    from webapp.extensions import db
    from webapp.services.links import open_pixel_url

    client = app.test_client()
    message = make_sent_message(org)
    url = open_pixel_url(org.id, message.id).removeprefix("http://herald.test")
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    valid = client.get(url, headers=browser)
    invalid = client.get("/t/o/garbage", headers=browser)
    head = client.head(url, headers=browser)
    assert valid.status_code == invalid.status_code == head.status_code == 200
    assert valid.data == invalid.data and valid.mimetype == "image/gif"
    assert "no-store" in valid.headers["Cache-Control"]
    assert wait_for(lambda: get_redis().llen(EVENTS_KEY) == 2)
    run_drain()
    db.session.refresh(message)
    assert message.open_count == 1 and message.machine_open_count == 1

    app.config["HERALD"].public_rate_limit = 3  # a new buffer with the lower limit
    for key in get_redis().scan_iter("herald:rl:pixel:*"):  # a fresh minute for this client
        get_redis().delete(key)
    away_from_a_minute_edge()
    codes = []
    for _ in range(5):
        codes.append(client.get(url, headers=browser).status_code)
        time.sleep(0.03)  # let the flusher publish the shared count
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
