"""CSV import job: the run itself lives in ``webapp.services.audience.imports``."""

from __future__ import annotations

import uuid

from webapp.services.audience import imports as csv_import


def run_import(run_id: str | uuid.UUID) -> None:
    """Import (or resume) one run; safe to call twice: finished runs are left alone."""
    csv_import.run(uuid.UUID(str(run_id)))
