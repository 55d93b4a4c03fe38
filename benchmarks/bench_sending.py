"""Sending throughput and latency on PostgreSQL, Redis, 2 worker processes and Postfix's
``smtp-sink`` (issue 4, "Done when").

Figures:
- emails/s from 10,000 queued messages to all accepted by the SMTP server, without DKIM;
- the same with DKIM (RSA-2048) signing every message;
- p50/p99 of one transactional message from the request (row created, committed, enqueued)
  to the SMTP server's acceptance (the attempt's timestamp), on an idle queue.

Rate limits are raised for the run (``HERALD_ORG_RATE_PER_SECOND`` and
``HERALD_DOMAIN_RATE_PER_SECOND``): the benchmark measures what the pipeline can do, the
defaults are a sending policy. Uses its own database (``herald_bench_sending``, override with
``BENCH_SENDING_DATABASE_URL``) and Redis db 5 (``BENCH_SENDING_REDIS_URL``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.common import at_least, at_most, row

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_SENDING_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/herald_bench_sending"
)
REDIS_URL = os.environ.get("BENCH_SENDING_REDIS_URL", "redis://127.0.0.1:6379/5")
SMTP_SINK = "/usr/sbin/smtp-sink"
COUNT = int(os.environ.get("BENCH_SENDING_COUNT", "10000"))
LATENCY_SAMPLES = 200
WORKERS = 2


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(smtp_port: int, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench-secret-key",  # noqa: S106 - a throwaway key for a throwaway database
        HERALD_INSTANCE_PATH=str(instance),
        HERALD_PUBLIC_URL="https://herald.example.com",
        HERALD_SMTP_HOST="127.0.0.1",
        HERALD_SMTP_PORT=str(smtp_port),
        HERALD_SMTP_RATE_PER_SECOND="0",
        HERALD_ORG_RATE_PER_SECOND="1000000",
        HERALD_DOMAIN_RATE_PER_SECOND="1000000",
        HERALD_BATCH_SIZE="250",
        HERALD_LOG_LEVEL="WARNING",
    )
    return env


def _start_sink(port: int) -> subprocess.Popen:
    # -c: count only; -u postfix: drop privileges; backlog 256
    return subprocess.Popen(
        [SMTP_SINK, "-u", "postfix", f"127.0.0.1:{port}", "256"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _start_workers(env: dict[str, str]) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "worker"]
    return [
        subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        for _ in range(WORKERS)
    ]


def _prepare_database(app) -> None:
    from sqlalchemy import text

    from webapp.extensions import db
    from webapp.models import Base

    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("SELECT 1"))
        app.extensions["herald.redis"].flushdb()


def _make_org(app, *, dkim: bool):
    from tests.support import factories
    from webapp.extensions import db

    with app.app_context():
        org = factories.make_org(f"Bench {'DKIM' if dkim else 'plain'} {time.time_ns()}")
        org.sending_domain = f"bench{time.time_ns()}.example.com"
        if dkim:
            _add_dkim(org)
        db.session.commit()
        return org.id


def _add_dkim(org) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from webapp.extensions import db
    from webapp.models import SendingDomain
    from webapp.services import crypto

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    db.session.add(
        SendingDomain(
            org_id=org.id,
            domain=org.sending_domain,
            dkim_selector="bench",
            dkim_private_key_encrypted=crypto.encrypt(pem),
        )
    )


def _insert_due(app, org_id, count: int) -> None:
    """Bulk-insert ``count`` bulk messages due now (as a campaign's fan-out leaves them)."""
    from webapp.extensions import db
    from webapp.models import Message, new_id, utcnow

    html = "<p>Hello {n}, we would like to invite you to an interview on Monday.</p>" * 4
    with app.app_context():
        now = utcnow() - timedelta(seconds=1)
        rows = [
            {
                "id": new_id(),
                "org_id": org_id,
                "status": "scheduled",
                "send_after": now,
                "is_transactional": False,
                "category": "invitation",
                "to_email": f"candidate{n}@d{n % 50}.example.com",
                "raw_subject": f"Interview invitation #{n}",
                "raw_html": html.format(n=n),
                "context": {},
                "links": [],
                "created_at": now,
            }
            for n in range(count)
        ]
        for start in range(0, count, 2000):
            db.session.execute(db.insert(Message), rows[start : start + 2000])
        db.session.commit()


def _count_sent(app, org_id) -> int:
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.models import Message

    with app.app_context():
        value = db.session.scalar(
            select(func.count()).where(Message.org_id == org_id, Message.status == "sent")
        )
        db.session.remove()
        return value


def _throughput(app, org_id, count: int) -> float:
    from jobs.sending import dispatch_due

    _insert_due(app, org_id, count)
    started = time.monotonic()
    with app.app_context():
        dispatch_due()
    deadline = started + 600
    while _count_sent(app, org_id) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("sending did not finish within 10 minutes")
        time.sleep(0.05)
    return count / (time.monotonic() - started)


def _latencies(app, org_id, samples: int) -> list[float]:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import DeliveryAttempt, Message
    from webapp.services.outbox import create_message

    ids = []
    for n in range(samples):
        with app.app_context():
            message = create_message(
                org_id,
                to_email=f"person{n}@example.com",
                raw_subject="Your interview is confirmed",
                raw_html="<p>See you on Monday at 10:00.</p>",
            )
            db.session.commit()  # the request ends here; the job is enqueued after commit
            ids.append(message.id)
        time.sleep(0.03)  # an idle queue between requests
    time.sleep(1.5)
    with app.app_context():
        rows = db.session.execute(
            select(Message.created_at, DeliveryAttempt.attempted_at)
            .join(DeliveryAttempt, DeliveryAttempt.message_id == Message.id)
            .where(Message.id.in_(ids), DeliveryAttempt.outcome == "sent")
        ).all()
    return [(sent - created).total_seconds() * 1000 for created, sent in rows]


def run() -> list[dict]:
    from webapp import create_app

    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = _env(port, Path(folder))
        app = create_app(
            {
                "database_url": DATABASE_URL,
                "redis_url": REDIS_URL,
                "secret_key": env["SECRET_KEY"],
                "instance_path": Path(folder),
                "public_url": env["HERALD_PUBLIC_URL"],
                "smtp_port": port,
                "log_level": "WARNING",
            }
        )
        _prepare_database(app)
        sink = _start_sink(port)
        workers = _start_workers(env)
        try:
            time.sleep(2.0)  # workers import the app and connect
            plain = _throughput(app, _make_org(app, dkim=False), COUNT)
            signed = _throughput(app, _make_org(app, dkim=True), COUNT)
            latencies = sorted(_latencies(app, _make_org(app, dkim=False), LATENCY_SAMPLES))
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
            sink.terminate()
            sink.wait(timeout=10)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return [
        at_least(f"sending: {COUNT:,} queued → accepted, 2 workers", plain, "emails/s", 1000),
        at_least(f"sending: {COUNT:,} queued → accepted, DKIM RSA-2048", signed, "emails/s", 500),
        at_most("sending: transactional request → SMTP accepted, p50", p50, "ms", 100),
        row("sending: transactional request → SMTP accepted, p99", p99, "ms"),
    ]
