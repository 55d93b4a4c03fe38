"""What Redis knows about a claimed message while a worker holds it (DESIGN.md "The outbox").

A worker commits its outcomes to the database in chunks (one commit per ~100 messages), so a
worker killed mid-batch leaves rows in ``sending`` whose fate only Redis can tell:

- ``herald:claimed`` (a set): claimed by a worker and not handed to SMTP yet. The sweeper puts
  such a row back in the queue: it certainly never reached a server.
- ``herald:replied`` (a hash, id -> reply code): the SMTP server answered this message. A
  ``2xx`` code means accepted: the sweeper records it as sent. Any other code means refused or
  deferred: it goes back to the queue.

The worker writes both marks in ONE round trip per message, right before the next message goes
over the connection: ``HSET replied <previous> <code>`` and ``SREM claimed <next>``. So a killed
worker leaves at most one message per open SMTP connection that is neither claimed nor replied:
the one whose data was on the wire. Only that one is ambiguous (transactional: sent again with
the same Message-ID; bulk: ``unknown``). The marks of a chunk are dropped after its commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import redis

CLAIMED_KEY = "herald:claimed"
REPLIED_KEY = "herald:replied"
NO_REPLY = "-"  # the connection broke before the server answered


@dataclass(frozen=True)
class Mark:
    claimed: bool  # never handed to SMTP
    reply_code: str | None  # what the server answered, when it did

    @property
    def accepted(self) -> bool:
        return bool(self.reply_code) and self.reply_code.startswith("2")


def mark_claimed(conn: redis.Redis, ids: list[uuid.UUID]) -> None:
    if ids:
        conn.sadd(CLAIMED_KEY, *[str(message_id) for message_id in ids])


def unmark_claimed(conn: redis.Redis, ids: list[uuid.UUID]) -> None:
    if ids:
        conn.srem(CLAIMED_KEY, *[str(message_id) for message_id in ids])


def hand_over(
    conn: redis.Redis, next_id: uuid.UUID | None, replied: tuple[uuid.UUID, int | None] | None
) -> None:
    """Record the previous message's reply and release the next one to SMTP, in one trip."""
    pipe = conn.pipeline(transaction=False)
    if replied is not None:
        message_id, code = replied
        pipe.hset(REPLIED_KEY, str(message_id), NO_REPLY if code is None else str(code))
    if next_id is not None:
        pipe.srem(CLAIMED_KEY, str(next_id))
    pipe.execute()


def forget(conn: redis.Redis, ids: Iterable[uuid.UUID]) -> None:
    """The rows' outcomes are committed: their marks are no longer needed."""
    keys = [str(message_id) for message_id in ids]
    if keys:
        pipe = conn.pipeline(transaction=False)
        pipe.hdel(REPLIED_KEY, *keys)
        pipe.srem(CLAIMED_KEY, *keys)
        pipe.execute()


def read(conn: redis.Redis, ids: list[uuid.UUID]) -> list[Mark]:
    keys = [str(message_id) for message_id in ids]
    if not keys:
        return []
    pipe = conn.pipeline(transaction=False)
    pipe.smismember(CLAIMED_KEY, keys)
    pipe.hmget(REPLIED_KEY, keys)
    claimed, codes = pipe.execute()
    return [
        Mark(bool(fresh), code.decode() if code is not None else None)
        for fresh, code in zip(claimed, codes, strict=True)
    ]
