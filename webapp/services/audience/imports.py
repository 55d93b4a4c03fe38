"""CSV import of candidates: column mapping, validation report, bulk upsert in chunks.

A run is an ``ImportRun`` row: the uploaded text, the mapping, progress counters and the
rejected rows with their reasons all live there (not in Redis), so the page shows progress
from any process and the report survives restarts. Good rows go in; bad rows are listed and
downloadable; nothing is dropped silently. A row matches an existing candidate by external id
when it has one and it is known, otherwise by email address; matching rows are listed with
their changes and applied only when the user chooses (``import_matches``).
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Candidate, ImportRun, ShortlistEntry, new_id, utcnow
from webapp.services.addresses import EmailNotValidError, normalized_address
from webapp.services.audience import import_matches
from webapp.services.audience.csv_records import (
    KEPT_CHARS,
    NUL_MARK,
    Record,
    UnreadableFile,
    records,
)
from webapp.services.audience.shortlists import insert_ignore
from webapp.services.languages import LanguageError
from webapp.services.languages import normalize as normalize_language
from webapp.services.scheduling import is_known_timezone

logger = logging.getLogger(__name__)

FIELDS = ("email", "first_name", "last_name", "timezone", "locale", "external_id")
FIELD_LABELS = {
    "email": "Email address (required)",
    "first_name": "First name",
    "last_name": "Last name",
    "timezone": "Time zone (e.g. Europe/Paris)",
    "locale": "Language (e.g. en, fr-CA, pt-BR)",
    "external_id": "External id (ATS id)",
}
ALIASES = {
    "email": ("email", "e-mail", "email address", "mail"),
    "first_name": ("first name", "firstname", "first_name", "given name", "prenom"),
    "last_name": ("last name", "lastname", "last_name", "surname", "family name", "nom"),
    "timezone": ("timezone", "time zone", "tz", "time_zone"),
    "locale": ("locale", "language", "lang"),
    "external_id": ("external id", "external_id", "id", "ats id", "candidate id"),
}
MAX_LENGTHS = {"email": 320, "first_name": 200, "last_name": 200, "locale": 16, "external_id": 200}
UNREADABLE_COLUMN = "(the row as it is in the file)"
CHUNK_ROWS = 2000
INLINE_MAX_ROWS = 2000  # bigger files run in a worker
MAX_REJECTED_KEPT = 50_000


def read_csv(text: str) -> tuple[list[str], Iterator[Record]]:
    """Header and the records after it (see :mod:`csv_records`); the delimiter (comma,
    semicolon or tab) is sniffed. Raises :class:`UnreadableFile` when the header cannot be
    read."""
    found = records(text)
    header = next(found, None)
    if header is None:
        return [], iter(())
    problem = header.problem or ("" if header.cells else "it is empty")
    if problem:
        raise UnreadableFile(f"The first row (the column names) cannot be read: {problem}.")
    return [h.strip() for h in header.cells or []], found


def preview_rows(text: str, count: int = 5) -> list[list[str]]:
    _, found = read_csv(text)
    readable = (record.cells for record in found if record.cells is not None)
    return [cells for _, cells in zip(range(count), readable, strict=False)]


def guess_mapping(headers: list[str]) -> dict[str, str]:
    mapping = {}
    for name, aliases in ALIASES.items():
        for header in headers:
            if header.strip().lower() in aliases:
                mapping[name] = header
                break
    return mapping


def count_rows(text: str) -> int:
    _, found = read_csv(text)
    return sum(1 for record in found if not is_blank(record))


def is_blank(record: Record) -> bool:
    return record.cells is not None and not any(cell.strip() for cell in record.cells)


def start_import(
    org_id: uuid.UUID,
    *,
    filename: str,
    source: str,
    mapping: dict[str, Any],
    shortlist_id: uuid.UUID | None = None,
    created_by_id: uuid.UUID | None = None,
) -> ImportRun:
    run = ImportRun(
        org_id=org_id,
        filename=filename[:300],
        source=source,
        mapping=mapping,
        shortlist_id=shortlist_id,
        created_by_id=created_by_id,
        total_rows=count_rows(source),
        status="pending",
    )
    db.session.add(run)
    db.session.flush()
    return run


@dataclass
class RowBatch:
    good: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


class Validator:
    """Checks rows one by one and remembers what it saw, to report duplicates in the file."""

    def __init__(self, headers: list[str], mapping: dict[str, Any]):
        self.index = {name: headers.index(col) for name, col in mapping.items() if col in headers}
        extra = mapping.get("attributes") or []
        self.attributes = [(col, headers.index(col)) for col in extra if col in headers]
        self.headers = headers
        self.seen_email: dict[str, int] = {}
        self.seen_external: dict[str, int] = {}

    def _cell(self, row: list[str], name: str) -> str:
        position = self.index.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    def check(self, line: int, row: list[str]) -> tuple[dict | None, str]:
        values = {name: self._cell(row, name) for name in FIELDS}
        for name, limit in MAX_LENGTHS.items():
            if len(values[name]) > limit:
                return None, f"{FIELD_LABELS[name]} is longer than {limit} characters"
        try:
            email = normalized_address(values["email"])
        except EmailNotValidError as exc:
            return None, f"Invalid email address {values['email']!r}: {exc}"
        if email in self.seen_email:
            return None, f"Duplicate of row {self.seen_email[email]} (same email address)"
        external = values["external_id"] or None
        if external and external in self.seen_external:
            return None, f"Duplicate of row {self.seen_external[external]} (same external id)"
        zone_name = values["timezone"] or "UTC"
        if not is_known_timezone(zone_name):
            return None, f"Unknown time zone {zone_name!r} (use a name like Europe/Paris)"
        try:
            locale = normalize_language(values["locale"]) if values["locale"] else "en"
        except LanguageError as exc:
            return None, f"Language: {exc}"
        self.seen_email[email] = line
        if external:
            self.seen_external[external] = line
        attributes = {col: row[pos].strip() for col, pos in self.attributes if pos < len(row)}
        values.update(email=email, external_id=external, timezone=zone_name)
        values.update(locale=locale, attributes=attributes, line=line)
        values["given"] = [name for name in FIELDS if self._cell(row, name)]
        return values, ""

    def raw(self, record: Record) -> list[list[str]]:
        """The row as [header, value] pairs: a list keeps the file's column order (JSONB
        does not keep the key order of an object). An unreadable row is kept as text."""
        if record.cells is None:
            return [[UNREADABLE_COLUMN, record.text]]
        row = [cell[:KEPT_CHARS].replace(NUL_MARK, "") for cell in record.cells]
        return [[h, row[i] if i < len(row) else ""] for i, h in enumerate(self.headers)]


def iter_batches(run: ImportRun, skip: int = 0) -> Iterator[RowBatch]:
    """Validated batches of ``CHUNK_ROWS`` data rows, starting after ``skip`` rows."""
    headers, found = read_csv(run.source)
    validator = Validator(headers, run.mapping)
    batch, seen = RowBatch(), 0
    for record in found:
        if is_blank(record):
            continue
        seen += 1
        values, reason = (None, record.problem)
        if not record.problem:
            values, reason = validator.check(record.row, record.cells or [])
        if seen <= skip:
            continue
        if values is None:
            batch.rejected.append(
                {"row": record.row, "reason": reason, "data": validator.raw(record)}
            )
        else:
            batch.good.append(values)
        if len(batch.good) + len(batch.rejected) >= CHUNK_ROWS:
            yield batch
            batch = RowBatch()
    if batch.good or batch.rejected:
        yield batch


def upsert_batch(run: ImportRun, batch: RowBatch) -> None:
    """Write one validated batch: bulk insert new candidates, bulk update known ones."""
    org_id = run.org_id
    by_email, by_external = _existing(org_id, batch.good)
    inserts, matched, entry_ids = [], [], []
    now = utcnow()
    for values in batch.good:
        target = by_external.get(values["external_id"]) or by_email.get(values["email"])
        owner = by_email.get(values["email"])
        if target and owner and owner[0] != target[0]:
            batch.rejected.append(_clash(values))
            continue
        row = {name: values[name] for name in FIELDS}
        row.update(updated_at=now)
        if values["attributes"]:
            row["attributes"] = values["attributes"]
        if target:
            matched.append((target[0], values))  # updated only if the user chose so
            entry_ids.append(target[0])
        else:
            cid = new_id()
            inserts.append({"id": cid, "org_id": org_id, "created_at": now, **_defaults(row)})
            entry_ids.append(cid)
    if inserts:
        db.session.execute(Candidate.__table__.insert(), inserts)
    updated = import_matches.settle(run, matched) if matched else 0
    if run.shortlist_id:
        _add_entries(run, entry_ids, now)
    _record(run, batch, len(inserts), updated)


def _defaults(row: dict[str, Any]) -> dict[str, Any]:
    row.setdefault("attributes", {})
    return row


def _clash(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "row": values["line"],
        "reason": "This email address belongs to another candidate than the external id",
        "data": [[k, values[k] or ""] for k in FIELDS],
    }


def _existing(org_id: uuid.UUID, good: list[dict[str, Any]]):
    emails = [v["email"] for v in good]
    externals = [v["external_id"] for v in good if v["external_id"]]
    base = select(Candidate.id, Candidate.email, Candidate.external_id).where(
        Candidate.org_id == org_id
    )
    by_email = {
        r.email: (r.id,) for r in db.session.execute(base.where(Candidate.email.in_(emails)))
    }
    by_external = {}
    if externals:
        statement = base.where(Candidate.external_id.in_(externals))
        by_external = {r.external_id: (r.id,) for r in db.session.execute(statement)}
    return by_email, by_external


def _add_entries(run: ImportRun, candidate_ids: list[uuid.UUID], now) -> None:
    rows = [
        {
            "id": new_id(),
            "org_id": run.org_id,
            "shortlist_id": run.shortlist_id,
            "candidate_id": cid,
            "created_at": now,
            "offered_slots": [],
        }
        for cid in candidate_ids
    ]
    insert_ignore(ShortlistEntry, rows, ["shortlist_id", "candidate_id"])


def _record(run: ImportRun, batch: RowBatch, created: int, updated: int) -> None:
    run.processed_rows += len(batch.good) + len(batch.rejected) - _clashes(batch)
    run.created_count += created
    run.updated_count += updated
    if batch.rejected and len(run.rejected) < MAX_REJECTED_KEPT:
        run.rejected = [*run.rejected, *sorted(batch.rejected, key=lambda r: r["row"])]


def _clashes(batch: RowBatch) -> int:
    """Rows rejected while upserting were already counted once as good rows."""
    return sum(1 for r in batch.rejected if r["reason"].startswith("This email address belongs"))


def finish(run: ImportRun, status: str = "completed") -> None:
    run.status = status
    run.finished_at = utcnow()
    if status == "completed":
        run.source = ""  # the upload is not kept once imported


def rejected_csv(run: ImportRun) -> str:
    """The rejected rows as CSV (row, reason, original columns), spreadsheet-safe (P5)."""
    columns: list[str] = []
    for item in run.rejected:
        columns.extend(c for c, _ in item["data"] if c not in columns)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "reason", *columns])
    for item in run.rejected:
        data = dict(item["data"])
        cells = [item["row"], item["reason"], *(data.get(c, "") for c in columns)]
        writer.writerow([neutralize(cell) for cell in cells])
    return out.getvalue()


def neutralize(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def run(run_id: uuid.UUID) -> None:
    """Import (or resume) one run, committing after each chunk; a second call on a finished run
    does nothing. Runs in a worker, or inline for a small file."""
    import_run = db.session.get(ImportRun, run_id)
    if import_run is None or import_run.status in ("completed", "failed", "canceled"):
        return
    import_run.status = "running"
    db.session.commit()
    try:
        for batch in iter_batches(import_run, skip=import_run.processed_rows):
            db.session.refresh(import_run)
            if import_run.status == "canceled":
                logger.info("import %s canceled at row %s", run_id, import_run.processed_rows)
                import_run.source = ""  # the upload is not kept once nothing will read it
                db.session.commit()
                return
            upsert_batch(import_run, batch)
            db.session.commit()
    except Exception:
        db.session.rollback()
        finish(db.session.get(ImportRun, run_id), "failed")
        db.session.commit()
        raise
    finish(import_run)
    db.session.commit()
    logger.info(
        "import %s done: %s created, %s updated",
        run_id,
        import_run.created_count,
        import_run.updated_count,
    )
