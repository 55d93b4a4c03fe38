"""/healthz, /readyz (database, Redis, migrations) and /metrics (token, Prometheus format)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from webapp import create_app
from webapp.extensions import db
from webapp.models import (
    DeliveryAttempt,
    Message,
    MessageEvent,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from webapp.ops.checks import migration_heads
from webapp.redis_client import get_redis
from webapp.services import metrics

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def stamped(app):
    """Stamp the create_all schema as migrated to ``revision`` (the head by default)."""

    def _stamp(revision: str | None = None):
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(
                text("INSERT INTO alembic_version VALUES (:v)"),
                {"v": revision or migration_heads()[0]},
            )

    yield _stamp
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_healthz_answers_without_login_or_io(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_ready_when_everything_answers(client, stamped):
    stamped()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "migrations": True,
    }
    assert body["checks"]["migrations"]["current"] == list(migration_heads())


def test_readyz_not_ready_when_the_schema_was_never_stamped(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "not stamped" in response.get_json()["checks"]["migrations"]["error"]


def test_readyz_not_ready_when_migrations_are_pending(client, stamped):
    stamped("0000_older")
    body = client.get("/readyz").get_json()
    assert body["status"] == "not ready"
    assert "pending" in body["checks"]["migrations"]["error"]


def test_readyz_fails_fast_when_redis_is_down(app_settings, app, stamped):
    stamped()
    dead = create_app({**app_settings, "redis_url": "redis://127.0.0.1:1/0"})
    started = time.monotonic()
    response = dead.test_client().get("/readyz")
    elapsed = time.monotonic() - started
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    assert elapsed < 3


def test_metrics_hidden_without_a_configured_token(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token(app, client):
    app.config["HERALD"].metrics_token = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
    assert client.get(f"/metrics?token={TOKEN}").status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def _scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _attempt(org, msg, *, outcome: str, duration_ms: int | None, relay: str = "primary"):
    db.session.add(
        DeliveryAttempt(
            org_id=org.id,
            message_id=msg.id,
            attempted_at=utcnow(),
            relay_name=relay,
            outcome=outcome,
            duration_ms=duration_ms,
        )
    )


def _event(org, msg, kind: str, *, machine: bool = False):
    db.session.add(
        MessageEvent(
            org_id=org.id,
            message_id=msg.id,
            type=kind,
            occurred_at=utcnow(),
            event_key=uuid.uuid4().hex,
            is_machine=machine,
        )
    )


def test_metrics_report_queues_messages_latency_errors_and_events(app, client, org, monkeypatch):
    monkeypatch.setattr(metrics, "SETTLE_SECONDS", 0.0)
    app.config["HERALD"].metrics_token = TOKEN
    now = utcnow()
    rows = []
    for status, count in (("delivered", 3), ("failed", 1), ("scheduled", 2)):
        for index in range(count):
            rows.append(
                Message(
                    org_id=org.id,
                    to_email=f"{status}{index}@example.com",
                    status=status,
                    send_after=now - timedelta(minutes=1),
                )
            )
    db.session.add_all(rows)
    db.session.flush()
    first = rows[0]
    _attempt(org, first, outcome="sent", duration_ms=200)
    _attempt(org, first, outcome="deferred", duration_ms=3000)
    _attempt(org, first, outcome="failed", duration_ms=None)
    for machine in (False, False, False, False, True, True):
        _event(org, first, "opened", machine=machine)
    db.session.commit()
    from webapp.services.queues import get_queue

    get_queue("bulk").enqueue("jobs.sending.send_batch", "x", description="send_batch")
    endpoint = WebhookEndpoint(
        org_id=org.id, url="https://hooks.example.com/x", secret_encrypted=""
    )
    db.session.add(endpoint)
    db.session.flush()
    for event_id, status, attempts in (
        ("a", "delivered", 3),
        ("b", "failed", 5),
        ("c", "pending", 0),
    ):
        db.session.add(
            WebhookDelivery(
                org_id=org.id,
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type="message.delivered",
                status=status,
                attempts=attempts,
            )
        )
    db.session.commit()

    s = _scrape(client)
    assert s[("herald_messages", (("state", "delivered"),))] == 3
    assert s[("herald_messages", (("state", "failed"),))] == 1
    assert s[("herald_messages", (("state", "bounced"),))] == 0
    assert s[("herald_messages_due", ())] == 2
    assert s[("herald_queue_depth", (("queue", "bulk"),))] == 1
    assert s[("herald_queue_depth", (("queue", "transactional"),))] == 0
    assert s[("herald_send_latency_seconds_bucket", (("le", "0.25"),))] == 1
    assert s[("herald_send_latency_seconds_bucket", (("le", "5.0"),))] == 2
    assert s[("herald_send_latency_seconds_count", ())] == 2
    assert s[("herald_send_latency_seconds_sum", ())] == pytest.approx(3.2)
    assert s[("herald_relay_errors_total", (("outcome", "deferred"), ("relay", "primary")))] == 1
    assert s[("herald_relay_errors_total", (("outcome", "failed"), ("relay", "primary")))] == 1
    assert s[("herald_webhook_failures_total", ())] == 2 + 5  # every attempt but the successful one
    assert s[("herald_webhook_deliveries_failed", ())] == 1
    assert s[("herald_tracking_events_total", (("actor", "human"), ("type", "opened")))] == 4
    assert s[("herald_tracking_events_total", (("actor", "machine"), ("type", "opened")))] == 2
    assert s[("herald_redis_up", ())] == 1

    # the next scrape adds only what is new: nothing is counted twice
    _event(org, first, "clicked")
    _attempt(org, first, outcome="sent", duration_ms=50)
    db.session.commit()
    s = _scrape(client)
    assert s[("herald_tracking_events_total", (("actor", "human"), ("type", "opened")))] == 4
    assert s[("herald_tracking_events_total", (("actor", "human"), ("type", "clicked")))] == 1
    assert s[("herald_send_latency_seconds_count", ())] == 3
    assert s[("herald_send_latency_seconds_bucket", (("le", "0.05"),))] == 1


def test_metrics_count_history_again_after_a_redis_flush(app, client, org, monkeypatch):
    monkeypatch.setattr(metrics, "SETTLE_SECONDS", 0.0)
    app.config["HERALD"].metrics_token = TOKEN
    msg = Message(org_id=org.id, to_email="a@example.com", status="sent", send_after=utcnow())
    db.session.add(msg)
    db.session.flush()
    for _ in range(3):
        _event(org, msg, "opened")
    db.session.commit()
    key = ("herald_tracking_events_total", (("actor", "human"), ("type", "opened")))
    assert _scrape(client)[key] == 3
    get_redis().flushdb()
    assert _scrape(client)[key] == 3
