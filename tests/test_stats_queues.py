"""Queue health: queue depths, workers, failed jobs with requeue, messages waiting, relay
circuits and the deliverability banner, against a real Redis and a real RQ worker."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue, SimpleWorker, Worker

from tests.support import factories
from webapp.extensions import db
from webapp.models import AuditLog, Message, utcnow
from webapp.redis_client import get_redis
from webapp.services.sending import circuit
from webapp.services.stats import queue_health


def explode(reason: str) -> None:
    raise RuntimeError(f"boom: {reason}")


def _failed_job(conn) -> str:
    queue = Queue("default", connection=conn)
    job = queue.enqueue(explode, "disk full", description="explode")
    SimpleWorker([queue], connection=conn).work(burst=True)
    return job.id


def test_failed_job_is_listed_and_can_be_requeued(app, org, logged_in):
    conn = get_redis()
    job_id = _failed_job(conn)
    html = logged_in.get("/stats/queues").get_data(as_text=True)
    assert "RuntimeError: boom: disk full" in html and job_id in html

    response = logged_in.post(f"/stats/queues/default/failed/{job_id}/requeue")
    assert response.status_code == 302
    assert Queue("default", connection=conn).count == 1
    assert queue_health.failed_jobs(conn) == []
    entry = db.session.query(AuditLog).filter_by(action="job.requeue").one()
    assert entry.target_id == job_id and entry.org_id == org.id
    again = logged_in.post(f"/stats/queues/default/failed/{job_id}/requeue", follow_redirects=True)
    assert "no longer in the failed list" in again.get_data(as_text=True)


def test_queue_depths_and_workers(app, org, logged_in):
    conn = get_redis()
    queue = Queue("bulk", connection=conn)
    for _ in range(3):
        queue.enqueue("jobs.sending.send_batch", "x", description="send_batch")
    worker = Worker([queue], connection=conn, name="stats-test-worker")
    worker.register_birth()
    try:
        depths = {row["name"]: row["queued"] for row in queue_health.queue_depths(conn)}
        assert depths == {"transactional": 0, "periodic": 0, "bulk": 3, "default": 0}
        html = logged_in.get("/stats/queues").get_data(as_text=True)
        assert worker.hostname in html and str(worker.pid) in html
        assert "no worker is running" not in html
    finally:
        worker.register_death()
    assert "no worker is running" in logged_in.get("/stats/queues").get_data(as_text=True)


def test_messages_waiting_and_scheduled_ahead(app, org, logged_in):
    now = utcnow()
    rows = [
        ("scheduled", now - timedelta(minutes=30)),
        ("deferred", now - timedelta(minutes=5)),
        ("queued", now - timedelta(minutes=10)),  # stuck in a queue
        ("scheduled", now + timedelta(minutes=90)),
        ("scheduled", now + timedelta(minutes=95)),
        ("sent", now - timedelta(minutes=30)),
    ]
    for index, (status, at) in enumerate(rows):
        db.session.add(
            Message(org_id=org.id, to_email=f"r{index}@example.com", status=status, send_after=at)
        )
    db.session.commit()
    waiting = queue_health.waiting_messages(org.id, stuck_after=60, now=now)
    assert (waiting["due"], waiting["queued_long"]) == (2, 1)
    ahead = queue_health.scheduled_ahead(org.id, now=now)
    assert sum(count for _, count in ahead) == 2 and len(ahead) == 24
    html = logged_in.get("/stats/queues").get_data(as_text=True)
    assert (
        'data-kpi="due"><div class="label">Due, not yet picked up</div><div class="value">2<'
        in html
    )


def test_relay_circuit_states(app, org, logged_in):
    conn = get_redis()
    assert "closed: taking traffic" in logged_in.get("/stats/queues").get_data(as_text=True)
    circuit.record_failure(conn, "default", threshold=1, cooldown=60)
    html = logged_in.get("/stats/queues").get_data(as_text=True)
    assert "open: skipped" in html


def test_banner_when_bulk_sending_is_paused(app, org, logged_in):
    org.bulk_paused_at = utcnow()
    org.bulk_paused_reason = "Spam complaints reached 0.50% of sent mail."
    db.session.commit()
    for url in ("/stats/", "/stats/queues"):
        html = logged_in.get(url).get_data(as_text=True)
        assert "Bulk sending is paused." in html and "0.50%" in html


def test_queue_health_is_for_admins(app, org, client, login_as):
    viewer = factories.make_user(org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    assert client.get("/stats/queues").status_code == 403
    assert client.get("/stats/").status_code == 200
    assert client.post("/stats/queues/default/failed/x/requeue").status_code == 403


def test_banner_when_many_messages_fail(app, org, logged_in):
    from webapp.models import StatRollup
    from webapp.services.stats import metrics as m

    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    for metric, count in ((m.SENT, 90), (m.FAILED, 10)):
        db.session.add(
            StatRollup(
                org_id=org.id,
                hour=hour,
                campaign_id=m.NIL,
                template_version_id=m.NIL,
                metric=metric,
                count=count,
            )
        )
    db.session.commit()
    html = logged_in.get("/stats/").get_data(as_text=True)
    assert "Warning: many messages fail." in html and "10.0%" in html and "(10 of 100)" in html
    assert "many messages fail" in logged_in.get("/stats/queues").get_data(as_text=True)
