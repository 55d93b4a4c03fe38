"""Incoming mail: RFC 3464 DSNs (hard and soft, from the test corpus's Postfix and Gmail
shapes) stored as ``herald inbound`` stores them, then processed by the ``process_inbound``
job (claim a batch, parse, classify, match by VERP token, suppress, push the events, commit),
then drained into the message states and rollups.

Target: >= 500 DSNs/s parsed and applied. Uses its own PostgreSQL database
(``BENCH_INBOUND_DATABASE_URL``, default ``herald_bench_inbound`` on the local server,
created when missing) and Redis database 9 (``BENCH_INBOUND_REDIS_URL``).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import at_least, row

DB_URL = os.environ.get(
    "BENCH_INBOUND_DATABASE_URL", "postgresql://postgres@127.0.0.1/herald_bench_inbound"
)
REDIS_URL = os.environ.get("BENCH_INBOUND_REDIS_URL", "redis://127.0.0.1:6379/9")
SECRET = "bench-inbound-secret"  # noqa: S105 - a throwaway key for the benchmark
COUNT = int(os.environ.get("BENCH_INBOUND_COUNT", "2000"))
SAMPLES = ("postfix_hard", "gmail_hard", "postfix_delayed", "exchange_ndr")


def overrides() -> dict:
    return {
        "database_url": DB_URL,
        "redis_url": REDIS_URL,
        "secret_key": SECRET,
        "log_level": "WARNING",
        "instance_path": Path(tempfile.gettempdir()) / "herald-bench-inbound",
    }


def _ensure_database() -> None:
    from sqlalchemy import create_engine, text

    name = DB_URL.rsplit("/", 1)[1]
    admin = create_engine(
        DB_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _seed(app) -> list:
    """A fresh schema, one organization with VERP on, COUNT sent messages, one stored DSN
    for each (its raw bytes, as received)."""
    from datetime import timedelta

    from tests.support.inbound import sample
    from webapp.extensions import db
    from webapp.models import Base, InboundMail, Message, utcnow
    from webapp.services.accounts.organizations import create_organization
    from webapp.services.inbound import addresses

    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    org = create_organization("Bench", sending_domain="example.com")
    addresses.set_switches(org, return_path=True, replies=False)
    sent = utcnow() - timedelta(hours=1)
    messages = [
        Message(
            org_id=org.id,
            to_email=f"c{n}@example.org",
            status="sent",
            send_after=sent,
            sent_at=sent,
            subject="Your interview",
        )
        for n in range(COUNT)
    ]
    db.session.add_all(messages)
    db.session.flush()
    settings = app.config["HERALD"]
    rows = []
    for n, message in enumerate(messages):
        verp = addresses.bounce_address(message.id, "example.com", settings)
        raw = sample(
            SAMPLES[n % len(SAMPLES)],
            verp=verp,
            recipient=message.to_email,
            message_id=f"<{message.id}@example.com>",
            herald_id=str(message.id),
        )
        rows.append(
            InboundMail(source="smtp", mail_from="", rcpt_to=[verp], raw=raw, size=len(raw))
        )
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def run() -> list[dict]:
    _ensure_database()
    from jobs.inbound import process_inbound
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Message, Suppression
    from webapp.redis_client import get_redis
    from webapp.services.tracking.drain import drain

    app = create_app(overrides())
    with app.app_context():
        conn = get_redis()
        conn.flushdb()
        ids = _seed(app)
        db.session.remove()
        started = time.perf_counter()
        kinds = process_inbound(str(ids[0]))
        db.session.remove()
        processed = time.perf_counter()
        result = drain(conn, batch_size=5000)
        finished = time.perf_counter()
        suppressed = db.session.query(Suppression).count()
        bounced = db.session.query(Message).filter(Message.status == "bounced").count()
        hard = COUNT - COUNT // len(SAMPLES)  # one sample in four is a delay (soft)
        if kinds != {"bounce": COUNT} or result.stored != COUNT:
            raise RuntimeError(f"processed {kinds}, drained {result.stored} events")
        if suppressed != hard or bounced != hard:
            raise RuntimeError(
                f"stored {result.stored}, suppressed {suppressed}, bounced {bounced}"
            )
        conn.flushdb()
    total = finished - started
    return [
        row("inbound: processing job", COUNT / (processed - started), "DSNs/s"),
        at_least("inbound DSNs parsed and applied", COUNT / total, "DSNs/s", 500),
    ]
