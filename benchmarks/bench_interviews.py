"""What the interview lifecycle adds to the periodic jobs and the send path, on PostgreSQL.

Figures:
- the reminder safety net's tick (``jobs.reminders.schedule_due``) once it has nothing left to
  do, with ``COUNT`` upcoming interviews on shortlists of which a tenth were sent their
  invitation (the others must be skipped by the query, not row by row);
- the policy's eligibility check for a batch of 200 reminders right before SMTP
  (``reminders.eligibility_refusals``);
- the Responses view's list query with ``COUNT`` entries of which a tenth answered.

Uses its own database ``herald_bench_interviews`` (override with
``BENCH_INTERVIEWS_DATABASE_URL``) and Redis db 6 (``BENCH_INTERVIEWS_REDIS_URL``).
``BENCH_INTERVIEWS_COUNT`` changes the size (default 20,000).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.common import at_most

DATABASE_URL = os.environ.get(
    "BENCH_INTERVIEWS_DATABASE_URL",
    "postgresql://postgres@127.0.0.1:5432/herald_bench_interviews",
)
REDIS_URL = os.environ.get("BENCH_INTERVIEWS_REDIS_URL", "redis://127.0.0.1:6379/6")
COUNT = int(os.environ.get("BENCH_INTERVIEWS_COUNT", "20000"))
REPEAT = 10


def _ensure_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _app():
    from webapp import create_app

    return create_app(
        {
            "database_url": DATABASE_URL,
            "redis_url": REDIS_URL,
            "secret_key": "bench-secret-key",
            "instance_path": Path(tempfile.mkdtemp(prefix="herald-bench-interviews-")),
            "public_url": "https://herald.example.com",
            "log_level": "WARNING",
        }
    )


def _setup():
    """COUNT candidates on one shortlist, interviews in 2-30 days, a tenth invited and a
    tenth answered; returns the organization."""
    from sqlalchemy import insert

    from webapp.extensions import db
    from webapp.models import Base, Candidate, Message, ShortlistEntry, new_id, utcnow
    from webapp.services.accounts.organizations import create_organization
    from webapp.services.audience.shortlists import create_shortlist

    db.session.remove()
    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    org = create_organization("Bench", postal_address="1 Bench Street")
    from webapp.models import Job

    job = Job(org_id=org.id, title="Engineer")
    db.session.add(job)
    db.session.flush()
    shortlist = create_shortlist(org.id, job, "Round 1")
    now = utcnow()
    candidates, entries, messages = [], [], []
    for n in range(COUNT):
        cid, eid = new_id(), new_id()
        candidates.append({"id": cid, "org_id": org.id, "email": f"c{n}@example.com",
                           "first_name": "C", "last_name": str(n), "timezone": "UTC",
                           "locale": "en", "attributes": {}, "created_at": now,
                           "updated_at": now})  # fmt: skip
        answered = n % 10 == 5
        entries.append({"id": eid, "org_id": org.id, "shortlist_id": shortlist.id,
                        "candidate_id": cid, "created_at": now, "offered_slots": [],
                        "interview_at": now + timedelta(days=2 + n % 28),
                        "response_status": "accepted" if answered else "pending",
                        "responded_at": now - timedelta(minutes=n) if answered else None,
                        })  # fmt: skip
        if n % 10 == 0:
            messages.append({"id": new_id(), "org_id": org.id, "status": "sent",
                             "send_after": now, "sent_at": now, "is_transactional": False,
                             "category": "invitations", "kind": "invitation",
                             "to_email": f"c{n}@example.com", "candidate_id": cid,
                             "shortlist_entry_id": eid, "created_at": now, "context": {},
                             "links": []})  # fmt: skip
    for table, rows in ((Candidate, candidates), (ShortlistEntry, entries), (Message, messages)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[start : start + 5000])
    db.session.commit()
    db.session.execute(__import__("sqlalchemy").text("ANALYZE"))
    db.session.commit()
    return org


def _time(call) -> float:
    call()  # warm the connection and the plan
    started = time.perf_counter()
    for _ in range(REPEAT):
        call()
    return (time.perf_counter() - started) / REPEAT * 1000


def run() -> list[dict]:
    _ensure_database()
    app = _app()
    with app.app_context():
        from sqlalchemy import select

        from jobs.reminders import schedule_due
        from webapp.extensions import db
        from webapp.models import Message
        from webapp.services.interviews import reminders, responses

        org = _setup()
        first = 0
        while created := schedule_due(limit=1000):
            first += created
        assert first >= COUNT // 10 * 2 * 0.9, first  # the invited and the answered
        db.session.execute(__import__("sqlalchemy").text("ANALYZE"))  # as autovacuum would
        db.session.commit()
        tick = _time(lambda: schedule_due())
        batch = list(
            db.session.scalars(select(Message).where(Message.kind.like("reminder%")).limit(200))
        )
        check = _time(lambda: reminders.eligibility_refusals(batch))
        listing = _time(lambda: responses.list_responses(org.id))
    return [
        at_most(f"reminder safety net, idle tick ({COUNT:,} interviews)", tick, "ms", 250),
        at_most("reminder eligibility check, 200-reminder batch", check, "ms", 50),
        at_most(f"Responses list ({COUNT // 10:,} answers)", listing, "ms", 300),
    ]
