"""Queue names and the functions that put work on them (jobs carry ids only)."""

from __future__ import annotations

import uuid

from rq import Queue

from webapp.redis_client import get_redis

TRANSACTIONAL = "transactional"  # single messages a person is waiting for
BULK = "bulk"  # batches of campaign messages
DEFAULT = "default"  # everything else: fan-out, imports, webhooks, drains
ALL_QUEUES = (TRANSACTIONAL, BULK, DEFAULT)


def get_queue(name: str = DEFAULT) -> Queue:
    return Queue(name, connection=get_redis())


def enqueue_send_message(message_id: uuid.UUID) -> None:
    get_queue(TRANSACTIONAL).enqueue(
        "jobs.sending.send_message", str(message_id), description="send_message"
    )
