"""A lease in Redis that decides which ``herald scheduler`` runs the periodic work.

Any number of schedulers may run; each tries to hold ``LEADER_KEY`` (``SET NX PX``) and the
holder renews it on every tick. A standby takes over when the leader stops renewing: at most
``ttl`` seconds after it died. If Redis loses the key (a flush, a restart), whoever asks next
gets it, and the new leader re-asserts the schedule and sweeps, so nothing depends on what
Redis remembered.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid

import redis

from webapp.services.sending.scheduler_status import LEADER_KEY

# Renew only our own lease; release only our own lease.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"  # noqa: E501
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"  # noqa: E501


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(self, conn: redis.Redis, node: str, ttl: float):
        self.conn = conn
        self.node = node
        self.ttl_ms = max(1000, int(ttl * 1000))
        self._renew = conn.register_script(_RENEW)
        self._release = conn.register_script(_RELEASE)

    def hold(self) -> bool:
        """Renew our lease or take a free one; True while this process leads."""
        if self._renew(keys=[LEADER_KEY], args=[self.node, self.ttl_ms]):
            return True
        return bool(self.conn.set(LEADER_KEY, self.node, nx=True, px=self.ttl_ms))

    def release(self) -> None:
        with contextlib.suppress(redis.RedisError):  # it expires by itself
            self._release(keys=[LEADER_KEY], args=[self.node])
