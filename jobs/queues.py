"""Queue names and the functions that put work on them (jobs carry ids only).

Transactional messages go one per job on the ``transactional`` queue (a person is waiting);
bulk messages go in ``send_batch`` jobs of ``batch_size`` ids on the ``bulk`` queue, so a
worker pays the per-job cost once per batch and sends the batch over one SMTP connection.
Job descriptions never contain an address.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from rq import Queue

from webapp.redis_client import get_redis

TRANSACTIONAL = "transactional"  # single messages a person is waiting for
PERIODIC = "periodic"  # the short periodic jobs: dispatcher, sweeper, event drain, webhooks
BULK = "bulk"  # batches of campaign messages
DEFAULT = "default"  # everything else: fan-out, imports
# Workers take jobs in this order: a campaign of 100,000 on ``bulk`` never holds back the
# dispatcher, the sweeper or the event drain for the minutes it takes to send.
ALL_QUEUES = (TRANSACTIONAL, PERIODIC, BULK, DEFAULT)
SEND_JOB_TIMEOUT = 600


def get_queue(name: str = DEFAULT) -> Queue:
    return Queue(name, connection=get_redis())


def enqueue_send_message(message_id: uuid.UUID) -> None:
    get_queue(TRANSACTIONAL).enqueue(
        "jobs.sending.send_message",
        str(message_id),
        description="send_message",
        job_timeout=SEND_JOB_TIMEOUT,
        result_ttl=60,
    )


def enqueue_send_batch(message_ids: Iterable[uuid.UUID], queue: str = BULK) -> None:
    ids = [str(message_id) for message_id in message_ids]
    if ids:
        get_queue(queue).enqueue(
            "jobs.sending.send_batch",
            ids,
            description=f"send_batch ({len(ids)} messages)",
            job_timeout=SEND_JOB_TIMEOUT,
            result_ttl=60,
        )


def enqueue_messages(items: Iterable[tuple[uuid.UUID, bool]], batch_size: int) -> int:
    """Enqueue (id, is_transactional) pairs: transactional one by one, bulk in batches.

    Uses one Redis pipeline for all the jobs; returns how many jobs were enqueued.
    """
    transactional, bulk = [], []
    for message_id, is_transactional in items:
        (transactional if is_transactional else bulk).append(message_id)
    jobs = 0
    if len(transactional) > 5:  # a backlog (after a sweep): batch it like bulk mail
        for start in range(0, len(transactional), batch_size):
            enqueue_send_batch(transactional[start : start + batch_size], TRANSACTIONAL)
            jobs += 1
    else:
        for message_id in transactional:
            enqueue_send_message(message_id)
            jobs += 1
    for start in range(0, len(bulk), batch_size):
        enqueue_send_batch(bulk[start : start + batch_size], BULK)
        jobs += 1
    return jobs
