"""CSV import job: validates and upserts in chunks, committing progress after each one."""

from __future__ import annotations

import logging
import uuid

from webapp.extensions import db
from webapp.models import ImportRun
from webapp.services.audience import imports as csv_import

logger = logging.getLogger(__name__)


def run_import(run_id: str | uuid.UUID) -> None:
    """Import (or resume) one run; safe to call twice: finished runs are left alone."""
    run = db.session.get(ImportRun, uuid.UUID(str(run_id)))
    if run is None or run.status in ("completed", "failed", "canceled"):
        return
    run.status = "running"
    db.session.commit()
    try:
        for batch in csv_import.iter_batches(run, skip=run.processed_rows):
            db.session.refresh(run)
            if run.status == "canceled":
                logger.info("import %s canceled at row %s", run.id, run.processed_rows)
                run.source = ""  # the upload is not kept once nothing will read it
                db.session.commit()
                return
            csv_import.upsert_batch(run, batch)
            db.session.commit()
    except Exception:
        db.session.rollback()
        run = db.session.get(ImportRun, run.id)
        csv_import.finish(run, "failed")
        db.session.commit()
        raise
    csv_import.finish(run)
    db.session.commit()
    logger.info(
        "import %s done: %s created, %s updated", run.id, run.created_count, run.updated_count
    )


def enqueue_import(run_id: uuid.UUID) -> None:
    from jobs.queues import DEFAULT, get_queue

    get_queue(DEFAULT).enqueue(
        "jobs.imports.run_import", str(run_id), description="run_import", job_timeout=1800
    )
