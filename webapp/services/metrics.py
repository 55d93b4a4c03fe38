"""Prometheus metrics, read at scrape time (``/metrics``).

Two kinds of numbers:

* **Gauges read where the truth lives**, at every scrape: RQ queue depths and failed jobs,
  workers, the event-stream backlog (Redis); messages by state, messages due, failed webhook
  deliveries (the database, through indexed ``count`` queries). No process keeps them.
* **Counters kept in Redis**, so that every web process reports the same numbers: send latency
  (a histogram) and relay errors from ``delivery_attempts``, tracking events from
  ``message_events``. Each scrape folds the rows inserted since the previous one into the
  counters (:func:`fold_new_rows`), so producers need not call anything and nothing is
  counted twice.
* **Webhook failures**, a counter read from the database: every attempt of an outgoing webhook
  delivery but its successful one, summed over ``webhook_deliveries``.

If Redis is flushed the cursors go with the counters, and the next scrapes count the history
again from the database, a few batches per scrape; Prometheus' ``rate()`` handles the reset.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import redis
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from rq import Queue, Worker
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    DeliveryAttempt,
    Message,
    MessageEvent,
    MessageStatus,
    WebhookDelivery,
    utcnow,
)
from webapp.services.events import EVENTS_KEY
from webapp.services.queues import ALL_QUEUES
from webapp.services.sending import scheduler_status

logger = logging.getLogger(__name__)

PREFIX = "herald:metrics:"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LATENCY = PREFIX + "send_latency"
_RELAY_ERRORS = PREFIX + "relay_errors"
_TRACKING = PREFIX + "tracking_events"
SETTLE_SECONDS = 30.0  # rows younger than this wait for the next scrape (late commits)
FOLD_BATCH = 20_000
FOLD_MAX_BATCHES = 5  # per scrape; a long history is caught up over a few scrapes


def _id_bound(moment: datetime) -> uuid.UUID:
    """The largest UUIDv7 that ``new_id`` could have made at ``moment`` (ids sort by time)."""
    millis = int(moment.timestamp() * 1000)
    return uuid.UUID(bytes=millis.to_bytes(6, "big") + b"\xff" * 10)


def _fold(conn: redis.Redis, name: str, model, columns: tuple, add_rows) -> None:
    """Add rows inserted since the last scrape to the Redis counters, exactly once.

    Rows are read in id order (UUIDv7: insertion time) up to ``SETTLE_SECONDS`` ago, so a
    transaction that commits a little late is still counted; the cursor and the counts move in
    one Redis transaction, and a lock keeps two scrapes from folding the same rows.
    """
    lock = f"{PREFIX}fold-lock:{name}"
    if not conn.set(lock, "1", nx=True, ex=60):
        return
    try:
        bound = _id_bound(utcnow() - timedelta(seconds=SETTLE_SECONDS))
        for _ in range(FOLD_MAX_BATCHES):
            raw = conn.get(f"{PREFIX}cursor:{name}")
            statement = select(model.id, *columns).where(model.id <= bound)
            if raw:
                statement = statement.where(model.id > uuid.UUID(raw.decode()))
            rows = db.session.execute(statement.order_by(model.id).limit(FOLD_BATCH)).all()
            if not rows:
                return
            pipe = conn.pipeline(transaction=True)
            add_rows(pipe, rows)
            pipe.set(f"{PREFIX}cursor:{name}", str(rows[-1][0]))
            pipe.execute()
            if len(rows) < FOLD_BATCH:
                return
    finally:
        conn.delete(lock)


def _add_attempts(pipe, rows) -> None:
    buckets: Counter = Counter()
    errors: Counter = Counter()
    total = 0.0
    for _id, relay, outcome, duration_ms in rows:
        if outcome != "sent":
            errors[f"{relay or 'default'}|{outcome}"] += 1
        if duration_ms is None:
            continue
        seconds = duration_ms / 1000
        total += seconds
        buckets["count"] += 1
        for bound in LATENCY_BUCKETS:
            if seconds <= bound:
                buckets[f"le:{bound}"] += 1
    for field, amount in buckets.items():
        pipe.hincrby(_LATENCY, field, amount)
    pipe.hincrbyfloat(_LATENCY, "sum", total)
    for field, amount in errors.items():
        pipe.hincrby(_RELAY_ERRORS, field, amount)


def _add_events(pipe, rows) -> None:
    counts = Counter(f"{kind}|{'machine' if machine else 'human'}" for _id, kind, machine in rows)
    for field, amount in counts.items():
        pipe.hincrby(_TRACKING, field, amount)


def fold_new_rows(conn: redis.Redis) -> None:
    """Bring the send-latency, relay-error and tracking-event counters up to date."""
    _fold(
        conn,
        "attempts",
        DeliveryAttempt,
        (DeliveryAttempt.relay_name, DeliveryAttempt.outcome, DeliveryAttempt.duration_ms),
        _add_attempts,
    )
    _fold(conn, "events", MessageEvent, (MessageEvent.type, MessageEvent.is_machine), _add_events)


def _hash(conn: redis.Redis, key: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in conn.hgetall(key).items()}


class HeraldCollector(Collector):
    """Collects everything on each scrape; needs an app context (database session)."""

    def __init__(self, conn: redis.Redis, stuck_after: float = 300):
        self.conn = conn
        self.stuck_after = stuck_after

    def collect(self) -> Iterator[Metric]:
        yield from self._database()
        yield GaugeMetricFamily(
            "herald_messages_stuck",
            "Messages that should have gone out over HERALD_STUCK_ALERT_SECONDS ago",
            value=scheduler_status.stuck_messages(self.stuck_after)["count"],
        )
        try:
            yield from self._redis()
        except redis.RedisError:
            logger.warning("metrics: Redis unreachable during scrape")
            yield GaugeMetricFamily("herald_redis_up", "Redis answered this scrape", value=0)
            return
        yield GaugeMetricFamily("herald_redis_up", "Redis answered this scrape", value=1)

    def _database(self) -> Iterator[Metric]:
        by_state = GaugeMetricFamily(
            "herald_messages", "Messages by delivery state", labels=["state"]
        )
        counts = dict(
            db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
        )
        for state in MessageStatus:
            by_state.add_metric([state.value], counts.get(state.value, 0))
        yield by_state
        due = db.session.scalar(
            select(func.count()).where(
                Message.status.in_(("scheduled", "deferred")), Message.send_after <= utcnow()
            )
        )
        yield GaugeMetricFamily(
            "herald_messages_due", "Messages due but not yet picked up", value=due or 0
        )
        failed, attempts_failed = db.session.execute(
            select(
                func.count().filter(WebhookDelivery.status == "failed"),
                func.coalesce(func.sum(WebhookDelivery.attempts), 0)
                - func.count().filter(WebhookDelivery.status == "delivered"),
            )
        ).one()
        yield GaugeMetricFamily(
            "herald_webhook_deliveries_failed",
            "Outgoing webhook deliveries that gave up (replayable from the log)",
            value=failed or 0,
        )
        yield CounterMetricFamily(
            "herald_webhook_failures",
            "Outgoing webhook attempts that did not succeed",
            value=max(0, int(attempts_failed or 0)),
        )

    def _redis(self) -> Iterator[Metric]:
        conn = self.conn
        fold_new_rows(conn)
        depth = GaugeMetricFamily(
            "herald_queue_depth", "Jobs waiting per RQ queue", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "herald_queue_failed_jobs", "Failed jobs per RQ queue", labels=["queue"]
        )
        for name in ALL_QUEUES:
            queue = Queue(name, connection=conn)
            depth.add_metric([name], queue.count)
            failed.add_metric([name], FailedJobRegistry(queue=queue).count)
        yield depth
        yield failed
        yield GaugeMetricFamily(
            "herald_workers", "RQ workers alive", value=len(Worker.all(connection=conn))
        )
        yield GaugeMetricFamily(
            "herald_event_backlog", "Events waiting to be written", value=conn.llen(EVENTS_KEY)
        )
        yield from self._scheduler()
        yield self._latency()
        yield from self._counters()

    def _scheduler(self) -> Iterator[Metric]:
        state = scheduler_status.scheduler_state(self.conn)
        age = state["heartbeat_age_seconds"]
        yield GaugeMetricFamily(
            "herald_scheduler_heartbeat_age_seconds",
            "Seconds since the leading scheduler's last tick (-1: no scheduler leads)",
            value=-1 if age is None else age,
        )
        schedulers = GaugeMetricFamily(
            "herald_scheduler_up",
            "Scheduler processes seen in the last minute, 1 for the leader's row",
            labels=["node", "role"],
        )
        for node, node_age in state["schedulers"].items():
            if node_age <= 60:
                role = "leader" if node == state["leader"] else "standby"
                schedulers.add_metric([node, role], 1)
        yield schedulers

    def _latency(self) -> Metric:
        raw = _hash(self.conn, _LATENCY)
        buckets = [(str(b), int(raw.get(f"le:{b}", 0))) for b in LATENCY_BUCKETS]
        buckets.append(("+Inf", int(raw.get("count", 0))))
        return HistogramMetricFamily(
            "herald_send_latency_seconds",
            "Duration of SMTP send attempts",
            buckets=buckets,
            sum_value=float(raw.get("sum", 0)),
        )

    def _counters(self) -> Iterator[Metric]:
        relay = CounterMetricFamily(
            "herald_relay_errors",
            "SMTP attempts a relay did not accept",
            labels=["relay", "outcome"],
        )
        for field, value in sorted(_hash(self.conn, _RELAY_ERRORS).items()):
            name, _, outcome = field.rpartition("|")
            relay.add_metric([name, outcome], int(value))
        yield relay
        tracking = CounterMetricFamily(
            "herald_tracking_events", "Tracking events stored", labels=["type", "actor"]
        )
        for field, value in sorted(_hash(self.conn, _TRACKING).items()):
            kind, _, actor = field.partition("|")
            tracking.add_metric([kind, actor], int(value))
        yield tracking
