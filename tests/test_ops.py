"""/healthz, /readyz (database, Redis, migrations) and /metrics (token, Prometheus format)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from webapp import create_app
from webapp.extensions import db
from webapp.models import Message, utcnow
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


def test_metrics_report_queues_messages_latency_errors_and_events(app, client, org):
    app.config["HERALD"].metrics_token = TOKEN
    now = utcnow()
    for status, count in (("delivered", 3), ("failed", 1), ("scheduled", 2)):
        for index in range(count):
            db.session.add(
                Message(
                    org_id=org.id,
                    to_email=f"{status}{index}@example.com",
                    status=status,
                    send_after=now - timedelta(minutes=1),
                )
            )
    db.session.commit()
    conn = get_redis()
    from jobs.queues import get_queue

    get_queue("bulk").enqueue("jobs.sending.send_batch", "x", description="send_batch")
    metrics.observe_send(conn, relay="default", outcome="sent", seconds=0.2)
    metrics.observe_send(conn, relay="default", outcome="deferred", seconds=3.0)
    metrics.count_webhook_failure(conn, reason="timeout")
    metrics.count_tracking_events(conn, [("opened", False, 4), ("opened", True, 2)])

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
    assert s[("herald_relay_errors_total", (("outcome", "deferred"), ("relay", "default")))] == 1
    assert s[("herald_webhook_failures_total", (("reason", "timeout"),))] == 1
    assert s[("herald_tracking_events_total", (("actor", "human"), ("type", "opened")))] == 4
    assert s[("herald_tracking_events_total", (("actor", "machine"), ("type", "opened")))] == 2
    assert s[("herald_redis_up", ())] == 1
