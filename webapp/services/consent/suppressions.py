"""The suppression list: addresses an organization must not mail (REQUIREMENTS C3, C6, S2, W7).

Reasons: ``unsubscribed``, ``hard_bounce``, ``complaint``, ``manual``. Addresses are stored
lower-cased; every function is idempotent and flushes only (the caller commits). The sending
pipeline calls :func:`is_suppressed` right before SMTP, so a job queued before an unsubscribe
still skips the address.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Suppression
from webapp.models.suppression import SUPPRESSION_REASONS

REASON_LABELS = {
    "unsubscribed": "Unsubscribed",
    "hard_bounce": "Hard bounce",
    "complaint": "Spam complaint",
    "manual": "Added by hand",
}
# Reasons a recipient may lift by resubscribing; bounces and complaints need an admin.
SELF_SERVICE_REASONS = ("unsubscribed",)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def normalize(email: str) -> str:
    return (email or "").strip().lower()


def find(org_id: uuid.UUID, email: str) -> Suppression | None:
    return db.session.scalars(
        select(Suppression).where(
            Suppression.org_id == org_id, Suppression.email == normalize(email)
        )
    ).first()


def is_suppressed(org_id: uuid.UUID, email: str) -> bool:
    return find(org_id, email) is not None


def suppress(
    org_id: uuid.UUID,
    email: str,
    reason: str,
    *,
    note: str = "",
    source_message_id: uuid.UUID | None = None,
) -> tuple[Suppression, bool]:
    """Add the address (or keep the existing row). Returns ``(row, created)``.

    A stronger reason replaces a weaker one (a complaint outranks an unsubscribe) so the list
    shows why an address really may not be mailed.
    """
    if reason not in SUPPRESSION_REASONS:
        raise ValueError(f"unknown suppression reason {reason!r}")
    existing = find(org_id, email)
    if existing is not None:
        if _rank(reason) > _rank(existing.reason):
            existing.reason = reason
            existing.note = note or existing.note
        return existing, False
    row = Suppression(
        org_id=org_id,
        email=normalize(email),
        reason=reason,
        note=note,
        source_message_id=source_message_id,
    )
    db.session.add(row)
    db.session.flush()
    return row, True


def _rank(reason: str) -> int:
    return {"unsubscribed": 1, "manual": 2, "hard_bounce": 3, "complaint": 4}.get(reason, 0)


def outranks(reason: str, other: str) -> bool:
    """True when ``reason`` is the stronger reason to keep an address off the list."""
    return _rank(reason) > _rank(other)


def unsuppress(org_id: uuid.UUID, email: str, *, only_reasons: Iterable[str] | None = None) -> bool:
    """Remove the address; with ``only_reasons``, only when its reason is one of them."""
    row = find(org_id, email)
    if row is None or (only_reasons is not None and row.reason not in tuple(only_reasons)):
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def search(
    org_id: uuid.UUID, *, query: str = "", reason: str = "", page: int = 1, per_page: int = 50
):
    """One page of the list, newest first, and whether there is a next page."""
    statement = select(Suppression).where(Suppression.org_id == org_id)
    if query:
        statement = statement.where(Suppression.email.contains(normalize(query), autoescape=True))
    if reason in SUPPRESSION_REASONS:
        statement = statement.where(Suppression.reason == reason)
    statement = statement.order_by(Suppression.created_at.desc(), Suppression.id.desc())
    rows = db.session.scalars(statement.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def count(org_id: uuid.UUID) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Suppression).where(Suppression.org_id == org_id)
    )


def neutralize(value: str) -> str:
    """Spreadsheet formula neutralization (REQUIREMENTS P5)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_csv(org_id: uuid.UUID) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "reason", "note", "created_at"])
    rows = db.session.scalars(
        select(Suppression).where(Suppression.org_id == org_id).order_by(Suppression.email)
    )
    for row in rows:
        writer.writerow(
            [neutralize(row.email), row.reason, neutralize(row.note), row.created_at.isoformat()]
        )
    return out.getvalue()


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)


def import_csv(org_id: uuid.UUID, text: str, *, default_reason: str = "manual") -> ImportResult:
    """Add every valid row; bad rows are reported by line and the rest still go in (U1)."""
    result = ImportResult()
    reader = csv.reader(io.StringIO(text))
    for line_no, cells in enumerate(reader, start=1):
        if not cells or not "".join(cells).strip():
            continue
        email = cells[0].strip().lstrip("'")
        if line_no == 1 and email.lower() == "email":
            continue
        reason = cells[1].strip() if len(cells) > 1 and cells[1].strip() else default_reason
        _import_row(org_id, line_no, email, reason, result)
    return result


def _import_row(org_id: uuid.UUID, line_no: int, email: str, reason: str, result: ImportResult):
    if reason not in SUPPRESSION_REASONS:
        result.errors.append((line_no, f"unknown reason “{reason[:40]}”"))
        return
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        result.errors.append((line_no, f"“{email[:80]}” is not a valid address: {exc}"))
        return
    _, created = suppress(org_id, email, reason, note="imported")
    if created:
        result.added += 1
    else:
        result.already += 1
