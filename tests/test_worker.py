"""Real worker processes on real Redis (Q1-Q4): a worker SIGKILLed mid-batch, Redis flushed
with messages queued and scheduled, two workers racing over the same rows, a rolled-back
request. The SMTP server's log is the judge: each message is delivered once (bulk), or again
with the same Message-ID (transactional, the documented at-least-once rule)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from jobs import sending
from tests.support.processes import process_env
from webapp.extensions import db
from webapp.models import Message, utcnow
from webapp.services.queues import BULK, TRANSACTIONAL, enqueue_send_batch, get_queue
from webapp.services.sending.outbox import create_message

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker_env(app, app_settings, smtp_server):
    return process_env(
        app,
        app_settings,
        HERALD_SMTP_HOST="127.0.0.1",
        HERALD_SMTP_PORT=str(smtp_server.port),
        HERALD_LEASE_SECONDS="2",
    )


def start_worker(env, *queues: str, burst: bool = True) -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "worker"]
    command += ["--burst"] if burst else []
    return subprocess.Popen([*command, *queues], cwd=ROOT, env=env)


def run_burst(env, *queues: str) -> None:
    assert start_worker(env, *queues).wait(timeout=120) == 0


def bulk_messages(org, count: int, prefix: str = "c") -> list[Message]:
    messages = [
        create_message(
            org.id,
            to_email=f"{prefix}{n}@example.com",
            raw_subject="Invitation",
            raw_html="<p>Hello</p>",
            is_transactional=False,
            category="invitation",
            send_after=utcnow() + timedelta(hours=1),  # scheduled: nothing enqueued yet
        )
        for n in range(count)
    ]
    db.session.commit()
    return messages


def make_due(ids) -> None:
    db.session.execute(update(Message).where(Message.id.in_(ids)).values(send_after=utcnow()))
    db.session.commit()


def statuses() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(Message.status)))


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_workers_racing_over_the_same_rows_send_each_once(worker_env, smtp_server, org):
    messages = bulk_messages(org, 300)
    ids = [m.id for m in messages]
    db.session.execute(update(Message).where(Message.id.in_(ids)).values(status="queued"))
    db.session.commit()
    for start in range(0, len(ids), 50):  # every batch twice: both workers get every row
        enqueue_send_batch(ids[start : start + 50])
        enqueue_send_batch(reversed(ids[start : start + 50]))
    workers = [start_worker(worker_env, BULK) for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]

    delivered = Counter(smtp_server.message_ids())
    assert len(delivered) == 300 and set(delivered.values()) == {1}  # Q4
    assert statuses() == {"sent": 300}


def test_worker_killed_mid_batch_bulk_is_delivered_at_most_once(worker_env, smtp_server, org):
    smtp_server.handler.delay = 0.05
    smtp_server.handler.accept_before_reply = True
    messages = bulk_messages(org, 40)
    make_due([m.id for m in messages])
    sending.dispatch_due()  # one send_batch job on the bulk queue
    worker = start_worker(worker_env, BULK, burst=False)
    wait_for(lambda: len(smtp_server.handler.started) >= 10)
    os.kill(worker.pid, signal.SIGKILL)  # Q1: mid-batch, between acceptance and commit
    worker.wait()
    handed_over = len(smtp_server.handler.started)
    smtp_server.handler.delay = 0
    smtp_server.handler.accept_before_reply = False
    time.sleep(2.1)  # the lease (2 s in the worker) expires
    sending.sweep()
    run_burst(worker_env, BULK, TRANSACTIONAL)

    delivered = Counter(smtp_server.message_ids())
    assert set(delivered.values()) == {1}  # nothing twice
    counts = statuses()
    assert counts["sent"] + counts["unknown"] == 40
    # only the message on the wire waits for a person; the rest was recorded or sent again
    assert counts["unknown"] <= 1
    assert counts["sent"] >= 39 and handed_over >= 10
    unknown = db.session.scalars(select(Message).where(Message.status == "unknown")).all()
    assert all("may have accepted" in m.last_error for m in unknown)


def test_worker_killed_during_transactional_send_retries_with_same_id(worker_env, smtp_server, org):
    smtp_server.handler.delay = 1.0
    smtp_server.handler.accept_before_reply = True
    message = create_message(org.id, to_email="ada@example.com", raw_subject="Hi", raw_html="x")
    db.session.commit()  # enqueued on the transactional queue after the commit
    worker = start_worker(worker_env, TRANSACTIONAL, burst=False)
    wait_for(lambda: len(smtp_server.handler.started) == 1)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    wait_for(lambda: len(smtp_server.received) == 1)  # the server accepted it anyway
    smtp_server.handler.delay = 0
    smtp_server.handler.accept_before_reply = False
    time.sleep(2.1)
    assert sending.sweep()["lease_requeued"] == 1
    run_burst(worker_env, TRANSACTIONAL, BULK)

    expected = f"<{message.id}@example.com>"
    assert smtp_server.message_ids() == [expected, expected]  # at least once, same Message-ID
    assert statuses() == {"sent": 1}


def test_redis_flushed_with_work_queued_and_scheduled_everything_sent_once(
    worker_env, smtp_server, app, org
):
    app.config["HERALD"].requeue_after_seconds = 0
    queued = [
        create_message(org.id, to_email=f"t{n}@example.com", raw_subject="Hi", raw_html="x")
        for n in range(5)
    ]
    scheduled = bulk_messages(org, 20, prefix="s")
    deferred = bulk_messages(org, 5, prefix="d")
    db.session.execute(
        update(Message)
        .where(Message.id.in_([m.id for m in deferred]))
        .values(status="deferred", send_after=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert len(get_queue(TRANSACTIONAL)) == 5  # one job per transactional message
    app.extensions["herald.redis"].flushdb()  # Q2: Redis restarted without persistence
    make_due([m.id for m in scheduled])

    assert sending.sweep()["requeued"] == 5
    assert sending.dispatch_due() == 25
    run_burst(worker_env, TRANSACTIONAL, BULK)

    delivered = Counter(smtp_server.message_ids())
    assert len(delivered) == 30 and set(delivered.values()) == {1}
    assert statuses() == {"sent": 30}
    assert len(queued) == 5


def test_rolled_back_request_leaves_no_job(app, org):
    create_message(org.id, to_email="ada@example.com", raw_subject="Hi", raw_html="x")
    db.session.rollback()  # Q3
    assert len(get_queue(TRANSACTIONAL)) == 0
    create_message(org.id, to_email="bob@example.com", raw_subject="Hi", raw_html="x")
    db.session.commit()
    assert len(get_queue(TRANSACTIONAL)) == 1
    assert db.session.scalars(select(Message.to_email)).all() == ["bob@example.com"]


def test_worker_runs_jobs_without_forking_per_job(worker_env, smtp_server, org):
    bulk_messages(org, 3)
    make_due([m.id for m in db.session.scalars(select(Message))])
    sending.dispatch_due()
    proc = subprocess.run(
        [sys.executable, "-c", _COUNT_FORKS],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "forks=0"
    assert len(smtp_server.received) == 3


_COUNT_FORKS = """
import os
forks = []
os.register_at_fork(after_in_parent=lambda: forks.append(1))
from webapp import create_app
from jobs.worker import run_worker
app = create_app()
run_worker(app, ["bulk"], burst=True)
print(f"forks={len(forks)}")
"""


def test_transactional_message_reaches_the_server_within_a_second(
    worker_env, smtp_server, app, org
):
    from rq import Worker

    conn = app.extensions["herald.redis"]
    worker = start_worker(worker_env, TRANSACTIONAL, burst=False)
    try:
        wait_for(lambda: len(Worker.all(connection=conn)) == 1)  # idle, waiting for work
        started = time.monotonic()
        create_message(org.id, to_email="ada@example.com", raw_subject="Hi", raw_html="x")
        db.session.commit()  # the request ends: enqueued after the commit
        wait_for(lambda: len(smtp_server.received) == 1, timeout=5)
        # no polling interval in the way (a loaded CI machine still stays far below 3 s;
        # the latency itself is measured by `make bench`)
        assert time.monotonic() - started < 3.0
    finally:
        worker.terminate()
        worker.wait(timeout=30)
