"""Prometheus metrics, read at scrape time (``/metrics``).

Two kinds of numbers:

* **Gauges read where the truth lives**, at every scrape: RQ queue depths and failed jobs,
  workers, the event-stream backlog (Redis); messages by state, messages due, failed webhook
  deliveries (the database, through indexed ``count`` queries). No process keeps them.
* **Counters kept in Redis** so that every web and worker process adds to the same numbers:
  send latency (a histogram), relay errors, webhook failures and tracking events. Producers call
  :func:`observe_send`, :func:`count_webhook_failure` and :func:`count_tracking_events`; each is
  one pipelined Redis round trip and never raises (a metric must not break a send).

Counters restart from zero if Redis is flushed; Prometheus' ``rate()`` handles such resets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

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

from jobs.queues import ALL_QUEUES
from webapp.extensions import db
from webapp.models import Message, MessageStatus, WebhookDelivery, utcnow
from webapp.services.events import EVENTS_KEY

logger = logging.getLogger(__name__)

PREFIX = "herald:metrics:"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LATENCY = PREFIX + "send_latency"
_RELAY_ERRORS = PREFIX + "relay_errors"
_WEBHOOK_FAILURES = PREFIX + "webhook_failures"
_TRACKING = PREFIX + "tracking_events"


def observe_send(conn: redis.Redis, *, relay: str, outcome: str, seconds: float) -> None:
    """Record one SMTP attempt: its duration, and an error unless the relay accepted it."""
    try:
        pipe = conn.pipeline(transaction=False)
        for bound in LATENCY_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(_LATENCY, f"le:{bound}", 1)
        pipe.hincrby(_LATENCY, "count", 1)
        pipe.hincrbyfloat(_LATENCY, "sum", seconds)
        if outcome not in ("sent", "delivered"):
            pipe.hincrby(_RELAY_ERRORS, f"{relay}|{outcome}", 1)
        pipe.execute()
    except redis.RedisError:
        logger.warning("metrics: could not record a send attempt")


def count_webhook_failure(conn: redis.Redis, *, reason: str = "error") -> None:
    try:
        conn.hincrby(_WEBHOOK_FAILURES, reason, 1)
    except redis.RedisError:
        logger.warning("metrics: could not record a webhook failure")


def count_tracking_events(conn: redis.Redis, counts: Iterable[tuple[str, bool, int]]) -> None:
    """Add ``(event type, is_machine, how many)`` to the tracking event counters."""
    try:
        pipe = conn.pipeline(transaction=False)
        for kind, is_machine, amount in counts:
            pipe.hincrby(_TRACKING, f"{kind}|{'machine' if is_machine else 'human'}", amount)
        pipe.execute()
    except redis.RedisError:
        logger.warning("metrics: could not record tracking events")


def _hash(conn: redis.Redis, key: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in conn.hgetall(key).items()}


class HeraldCollector(Collector):
    """Collects everything on each scrape; needs an app context (database session)."""

    def __init__(self, conn: redis.Redis):
        self.conn = conn

    def collect(self) -> Iterator[Metric]:
        yield from self._database()
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
        failed = db.session.scalar(select(func.count()).where(WebhookDelivery.status == "failed"))
        yield GaugeMetricFamily(
            "herald_webhook_deliveries_failed",
            "Outgoing webhook deliveries that gave up (replayable from the log)",
            value=failed or 0,
        )

    def _redis(self) -> Iterator[Metric]:
        conn = self.conn
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
        yield self._latency()
        yield from self._counters()

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
        hooks = CounterMetricFamily(
            "herald_webhook_failures", "Failed outgoing webhook attempts", labels=["reason"]
        )
        for reason, value in sorted(_hash(self.conn, _WEBHOOK_FAILURES).items()):
            hooks.add_metric([reason], int(value))
        yield hooks
        tracking = CounterMetricFamily(
            "herald_tracking_events", "Tracking events stored", labels=["type", "actor"]
        )
        for field, value in sorted(_hash(self.conn, _TRACKING).items()):
            kind, _, actor = field.partition("|")
            tracking.add_metric([kind, actor], int(value))
        yield tracking
