"""What Redis knows about a claimed message while a worker holds it (DESIGN.md "The outbox").

A worker commits its outcomes to the database in chunks (one commit per ~100 messages), so a
worker killed mid-batch leaves rows in ``sending`` whose fate only Redis can tell. Each mark
names one claim, ``<message id>:<attempt>`` (claiming increments ``attempts``), so a worker
that lost its claim can never read or erase the marks of the worker that claimed the row next.

- ``herald:claimed`` (a set): claimed and not handed to SMTP yet. Written before the claim
  commits, so a committed claim always has its mark.
- ``herald:replied`` (a hash, claim -> reply code): the SMTP server answered this message. A
  ``2xx`` code means accepted: the sweeper records it as sent. Any other code means refused or
  deferred: it goes back to the queue.

The worker writes both marks in ONE round trip per message, right before the next message goes
over the connection: ``HSET replied <previous> <code>`` and ``SREM claimed <next>``. The SREM is
also the fence: it removes the mark only if the sweeper has not taken it back first (``take``
removes the same member), and the worker sends only what it removed itself. So a killed worker
leaves at most one message per open SMTP connection that is neither claimed nor replied: the
one whose data was on the wire. Only that one is ambiguous (transactional: sent again with the
same Message-ID; bulk: ``unknown``). The marks of a chunk are dropped after its commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import redis

CLAIMED_KEY = "herald:claimed"
REPLIED_KEY = "herald:replied"
NO_REPLY = "-"  # the connection broke before the server answered


def key(message_id: uuid.UUID, attempt: int) -> str:
    """The name of one claim of one message."""
    return f"{message_id}:{attempt}"


@dataclass(frozen=True)
class Mark:
    claimed: bool  # never handed to SMTP (and now taken back by the sweeper)
    reply_code: str | None  # what the server answered, when it did

    @property
    def accepted(self) -> bool:
        return bool(self.reply_code) and self.reply_code.startswith("2")


def mark_claimed(conn: redis.Redis, claims: list[str]) -> None:
    if claims:
        conn.sadd(CLAIMED_KEY, *claims)


def hand_over(conn: redis.Redis, next_claim: str | None, replied: tuple[str, int | None] | None):
    """Record the previous message's reply and release the next one to SMTP, in one trip.

    Returns whether the next claim was still marked (False: the sweeper took it back, or Redis
    lost its data; the caller asks the database which).
    """
    with HandOver(conn) as once:
        return once(next_claim, replied)


class HandOver:
    """``hand_over`` over one Redis connection held for a whole SMTP session.

    It runs once per message, so it skips what a redis-py pipeline builds for each call (the
    pipeline, a connection taken from the pool and given back, reply callbacks): the two
    commands are packed and their replies read on a connection of its own, ~half the CPU. A
    connection that breaks is opened again once and the commands sent again, as the client's
    own retry would: HSET sets the same value, and an SREM that already ran answers 0, which
    sends the caller to the database.
    """

    def __init__(self, conn: redis.Redis) -> None:
        self.pool = conn.connection_pool
        self.connection = None

    def __enter__(self) -> HandOver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, next_claim: str | None, replied: tuple[str, int | None] | None) -> bool:
        commands = []
        if replied is not None:
            claim, code = replied
            commands.append(("HSET", REPLIED_KEY, claim, NO_REPLY if code is None else str(code)))
        if next_claim is not None:
            commands.append(("SREM", CLAIMED_KEY, next_claim))
        try:
            results = self._send(commands)
        except (redis.ConnectionError, redis.TimeoutError):
            self.close(broken=True)
            results = self._send(commands)
        return next_claim is not None and bool(results[-1])

    def _send(self, commands: list[tuple[str, ...]]) -> list:
        if self.connection is None:
            self.connection = self.pool.get_connection()
        connection = self.connection
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            results = [connection.read_response() for _ in commands]
        except BaseException:  # an error reply raises too: the next reply is still unread
            self.close(broken=True)
            raise
        return results

    def close(self, broken: bool = False) -> None:
        if self.connection is not None:
            if broken:
                self.connection.disconnect()
            self.pool.release(self.connection)
            self.connection = None


def forget(conn: redis.Redis, claims: Iterable[str]) -> None:
    """The rows' outcomes are committed: their marks are no longer needed."""
    claims = list(claims)
    if claims:
        pipe = conn.pipeline(transaction=False)
        pipe.hdel(REPLIED_KEY, *claims)
        pipe.srem(CLAIMED_KEY, *claims)
        pipe.execute()


def take(conn: redis.Redis, claims: list[str]) -> list[Mark]:
    """For the sweeper: read the marks and take back every claim not yet handed to SMTP, in
    one atomic step, so a still-running worker cannot hand such a message over afterwards."""
    if not claims:
        return []
    pipe = conn.pipeline(transaction=True)
    for claim in claims:
        pipe.srem(CLAIMED_KEY, claim)
    pipe.hmget(REPLIED_KEY, claims)
    *taken, codes = pipe.execute()
    return [
        Mark(bool(was_claimed), code.decode() if code is not None else None)
        for was_claimed, code in zip(taken, codes, strict=True)
    ]
