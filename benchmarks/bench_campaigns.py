"""Campaign fan-out, CSV import rate and the dispatcher's idle cost on PostgreSQL (issue 5).

Figures:
- fan-out of a 100,000-recipient campaign sent "now": ``expand_campaign`` writing every
  Message row ``queued`` in chunks (COPY + INSERT … ON CONFLICT DO NOTHING, committed with the
  cursor) and enqueuing the send batches in Redis after each chunk — "rows created and queued";
- CSV import: 100,000 rows (validated, upserted in chunks, progress committed) in rows/s;
- the dispatcher's cost per tick (``jobs.sending.dispatch_due``) with 100,000 scheduled
  messages of which none are due.

Uses its own database ``herald_bench_campaigns`` (created when missing; override with
``BENCH_CAMPAIGNS_DATABASE_URL``) and Redis db 9 (``BENCH_CAMPAIGNS_REDIS_URL``).
``BENCH_CAMPAIGNS_COUNT`` changes the size (default 100,000).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from benchmarks.common import at_least, at_most, ensure_database, row

DATABASE_URL = os.environ.get(
    "BENCH_CAMPAIGNS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/herald_bench_campaigns"
)
REDIS_URL = os.environ.get("BENCH_CAMPAIGNS_REDIS_URL", "redis://127.0.0.1:6379/9")
COUNT = int(os.environ.get("BENCH_CAMPAIGNS_COUNT", "100000"))
TICKS = 50


def _app():
    from webapp import create_app

    return create_app(
        {
            "database_url": DATABASE_URL,
            "redis_url": REDIS_URL,
            "secret_key": "bench-secret-key",
            "instance_path": Path(tempfile.mkdtemp(prefix="herald-bench-campaigns-")),
            "public_url": "https://herald.example.com",
            "log_level": "WARNING",
        }
    )


def _reset_schema() -> None:
    from webapp.extensions import db
    from webapp.models import Base

    db.session.remove()
    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)


def _setup_campaign():
    """An organization, COUNT candidates on one shortlist and a confirmed draft (not timed)."""
    return make_audience(COUNT)


def _time_fan_out(campaign_id) -> float:
    """``expand_campaign``: rows written ``queued`` (due now) and send batches in Redis."""
    from sqlalchemy import func, select

    from jobs.campaigns import expand_campaign
    from webapp.extensions import db
    from webapp.models import Message

    started = time.perf_counter()
    expand_campaign(campaign_id)
    elapsed = time.perf_counter() - started
    queued = db.session.scalar(
        select(func.count()).where(Message.campaign_id == campaign_id, Message.status == "queued")
    )
    assert queued == COUNT, f"{queued} of {COUNT} queued"
    assert db.session.get_bind().dialect.name == "postgresql"
    return elapsed


def _time_dispatcher_idle() -> float:
    from sqlalchemy import update

    from jobs.sending import dispatch_due
    from webapp.extensions import db
    from webapp.models import Message, utcnow

    db.session.execute(
        update(Message).values(status="scheduled", send_after=utcnow() + timedelta(days=1))
    )
    db.session.commit()
    db.session.execute(__import__("sqlalchemy").text("ANALYZE messages"))
    db.session.commit()
    dispatch_due()  # warm the connection and the plan
    started = time.perf_counter()
    for _ in range(TICKS):
        assert dispatch_due() == 0
    return (time.perf_counter() - started) / TICKS * 1000


def _time_import() -> float:
    from jobs.imports import run_import
    from webapp.extensions import db
    from webapp.models import Organization
    from webapp.services.audience import imports as csv_import

    org = db.session.query(Organization).first()
    lines = ["email,first_name,last_name,timezone,external_id"]
    lines += [f"imp{n}@example.com,First{n},Last{n},Europe/Paris,EXT{n}" for n in range(COUNT)]
    text = "\n".join(lines)
    mapping = csv_import.guess_mapping(lines[0].split(","))
    started = time.perf_counter()
    run = csv_import.start_import(org.id, filename="bench.csv", source=text, mapping=mapping)
    db.session.commit()
    run_import(run.id)
    elapsed = time.perf_counter() - started
    db.session.refresh(run)
    assert run.created_count == COUNT, run.created_count
    return COUNT / elapsed


def run() -> list[dict]:
    ensure_database(DATABASE_URL)
    app = _app()
    with app.app_context():
        _reset_schema()
        app.extensions["herald.redis"].flushdb()
        campaign_id = _setup_campaign()
        fan_out = _time_fan_out(campaign_id)
        batches = app.extensions["herald.redis"].llen("rq:queue:bulk")
        idle_ms = _time_dispatcher_idle()
        rate = _time_import()
        app.extensions["herald.redis"].flushdb()
    label = f"{COUNT:,}"
    return [
        at_most(
            f"campaign fan-out of {label} recipients: rows created and queued", fan_out, "s", 6
        ),
        row("send batches enqueued by the fan-out", batches, "jobs"),
        at_least(f"CSV import of {label} rows", rate, "rows/s", 2000),
        at_most(f"dispatcher tick, {label} scheduled, none due", idle_ms, "ms", 20),
    ]


ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")


def make_audience(count: int) -> uuid.UUID:
    """An organization, COUNT candidates on one shortlist and a confirmed campaign."""
    from webapp.extensions import db
    from webapp.models import (
        Campaign,
        Candidate,
        EmailTemplate,
        Job,
        Shortlist,
        ShortlistEntry,
        TemplateVersion,
        new_id,
        utcnow,
    )
    from webapp.services.accounts.organizations import create_organization

    org = create_organization("Bench Org", postal_address="1 Bench Street")
    job = Job(org_id=org.id, title="Engineer", location="Lyon")
    db.session.add(job)
    db.session.flush()
    shortlist = Shortlist(org_id=org.id, job_id=job.id, name="Bench shortlist")
    template = EmailTemplate(
        org_id=org.id, name="Invite", type="invitation", category="invitations"
    )
    db.session.add_all([shortlist, template])
    db.session.flush()
    version = TemplateVersion(
        org_id=org.id,
        template_id=template.id,
        number=1,
        subject="Hi {{ candidate.first_name }}",
        body_mjml="<mj-text>Hi</mj-text>",
    )
    db.session.add(version)
    db.session.flush()
    template.current_version_id = version.id
    now = utcnow()
    ids = [new_id() for _ in range(count)]
    for start in range(0, count, 10_000):
        chunk = ids[start : start + 10_000]
        db.session.execute(
            Candidate.__table__.insert(),
            [
                {
                    "id": cid,
                    "org_id": org.id,
                    "email": f"c{start + n}@example.com",
                    "first_name": f"C{start + n}",
                    "last_name": "Bench",
                    "timezone": ZONES[n % 5],
                    "locale": "en",
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n, cid in enumerate(chunk)
            ],
        )
        db.session.execute(
            ShortlistEntry.__table__.insert(),
            [
                {
                    "id": new_id(),
                    "org_id": org.id,
                    "shortlist_id": shortlist.id,
                    "candidate_id": cid,
                    "created_at": now,
                    "offered_slots": [],
                    "duration_minutes": 45,
                    "location": "",
                    "video_url": "",
                    "response_status": "pending",
                    "response_note": "",
                    "invite_nonce": 0,
                    "is_canceled": False,
                    "interview_at": now,
                }
                for cid in chunk
            ],
        )
    campaign = Campaign(
        org_id=org.id,
        name="Bench campaign",
        status="scheduled",
        job_id=job.id,
        shortlist_id=shortlist.id,
        template_id=template.id,
        template_version_id=version.id,
        category="invitations",
        candidate_ids=[str(i) for i in ids],
        schedule_mode="now",
        send_window={},
        total_recipients=count,
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign.id
