"""Handing work to the workers: the queues, and one function per kind of job.

This is the only door from ``webapp`` to the background. Services and views call these
functions (usually after the commit, ``webapp.after_commit``) and never import ``jobs``: RQ
addresses a job by the dotted name of its function, so the names below (``jobs.*``) are the
whole contract with ``jobs/``, which holds the functions and imports services, never the other
way round. ``tests/test_queues_contract.py`` checks that every name resolves.

Transactional messages go one per job on the ``transactional`` queue (a person is waiting);
bulk messages go in ``send_batch`` jobs of ``batch_size`` ids on the ``bulk`` queue, so a
worker pays the per-job cost once per batch and sends the batch over one SMTP connection.
Jobs carry ids only; their descriptions never contain an address.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import current_app
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


def enqueue_send_batch(message_ids: Iterable[uuid.UUID | str], queue: str = BULK) -> None:
    ids = [str(message_id) for message_id in message_ids]
    if ids:
        get_queue(queue).enqueue(
            "jobs.sending.send_batch",
            ids,
            description=f"send_batch ({len(ids)} messages)",
            job_timeout=SEND_JOB_TIMEOUT,
            result_ttl=60,
        )


def enqueue_messages(items: Iterable[tuple[uuid.UUID | str, bool]], batch_size: int) -> int:
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


def enqueue_due_campaign_messages(message_ids: Iterable[uuid.UUID | str]) -> None:
    """Hand freshly written campaign messages that are due now to the bulk queue (ids as
    UUIDs or their text)."""
    enqueue_messages(((mid, False) for mid in message_ids), current_app.config["HERALD"].batch_size)


def enqueue_expand_campaign(campaign_id: uuid.UUID) -> None:
    get_queue(DEFAULT).enqueue(
        "jobs.campaigns.expand_campaign",
        str(campaign_id),
        description="expand_campaign",
        job_timeout=3600,
    )


def enqueue_import(run_id: uuid.UUID) -> None:
    get_queue(DEFAULT).enqueue(
        "jobs.imports.run_import", str(run_id), description="run_import", job_timeout=1800
    )


def enqueue_inbound(inbound_id: uuid.UUID | None = None) -> None:
    """One processing job; the id (of the mail just stored) only says why it was enqueued."""
    get_queue(DEFAULT).enqueue(
        "jobs.inbound.process_inbound",
        str(inbound_id) if inbound_id else None,
        description="process_inbound",
        job_timeout=600,
        result_ttl=60,
    )


def enqueue_chat_post(org_id: uuid.UUID, text: str) -> None:
    get_queue().enqueue("jobs.chat.post_text", str(org_id), text, description="chat.post_text")


def enqueue_webhook_delivery() -> None:
    get_queue().enqueue("jobs.webhooks.deliver_due", description="deliver_due")
