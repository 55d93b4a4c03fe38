"""Housekeeping: API idempotency keys are forgotten after their 24 hours."""

from datetime import timedelta

from sqlalchemy import select

from jobs.maintenance import purge_idempotency_records
from jobs.schedule import active_jobs
from webapp.extensions import db
from webapp.models import IdempotencyRecord, utcnow


def test_expired_idempotency_records_are_purged_and_fresh_ones_kept(app, org):
    old = IdempotencyRecord(
        org_id=org.id,
        key="old",
        request_hash="h",
        status_code=201,
        created_at=utcnow() - timedelta(hours=25),
    )
    fresh = IdempotencyRecord(org_id=org.id, key="fresh", request_hash="h", status_code=201)
    db.session.add_all([old, fresh])
    db.session.commit()
    assert purge_idempotency_records() == 1
    assert db.session.scalars(select(IdempotencyRecord.key)).all() == ["fresh"]


def test_purge_is_on_the_schedule(app):
    assert "maintenance.purge_idempotency_records" in {job.id for job in active_jobs()}
