"""Shortlists per job: entries, interview times, offered slots and responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import Candidate, Job, Shortlist, ShortlistEntry, new_id, utcnow
from webapp.tenancy import scoped

EDITABLE_RESPONSES = ("pending", "invited", "accepted", "declined", "reschedule_requested")


def insert_ignore(model: Any, rows: list[dict[str, Any]], conflict: list[str]) -> None:
    """Bulk INSERT that skips rows clashing with a unique constraint (both dialects).

    Pass a Table (``Model.__table__``) for the fastest path: a Core executemany without the
    ORM's per-row bookkeeping.
    """
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(model).on_conflict_do_nothing(index_elements=conflict)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).on_conflict_do_nothing(index_elements=conflict)
    else:  # pragma: no cover - only the two supported databases
        statement = insert(model)
    db.session.execute(statement, rows)


def create_shortlist(org_id: uuid.UUID, job: Job, name: str) -> Shortlist:
    shortlist = Shortlist(org_id=org_id, job_id=job.id, name=name.strip() or job.title)
    db.session.add(shortlist)
    db.session.flush()
    return shortlist


def shortlists_for_job(org_id: uuid.UUID, job_id: uuid.UUID) -> list[tuple[Shortlist, int]]:
    counts = (
        select(ShortlistEntry.shortlist_id, func.count().label("n"))
        .group_by(ShortlistEntry.shortlist_id)
        .subquery()
    )
    statement = (
        scoped(select(Shortlist, func.coalesce(counts.c.n, 0)), org_id, Shortlist)
        .outerjoin(counts, counts.c.shortlist_id == Shortlist.id)
        .where(Shortlist.job_id == job_id)
        .order_by(Shortlist.created_at)
    )
    return [(row[0], row[1]) for row in db.session.execute(statement)]


def add_candidates(org_id: uuid.UUID, shortlist: Shortlist, candidate_ids: list[uuid.UUID]) -> int:
    """Add candidates (of this organization only) to the shortlist; returns how many were new."""
    valid = list(
        db.session.scalars(
            scoped(select(Candidate.id), org_id, Candidate)
            .where(Candidate.id.in_(candidate_ids))
            .where(Candidate.erased_at.is_(None))
        )
    )
    before = entry_count(shortlist.id)
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "org_id": org_id,
            "shortlist_id": shortlist.id,
            "candidate_id": cid,
            "created_at": now,
            "offered_slots": [],
        }
        for cid in valid
    ]
    for start in range(0, len(rows), 2000):
        insert_ignore(ShortlistEntry, rows[start : start + 2000], ["shortlist_id", "candidate_id"])
    return entry_count(shortlist.id) - before


def entry_count(shortlist_id: uuid.UUID) -> int:
    statement = select(func.count()).where(ShortlistEntry.shortlist_id == shortlist_id)
    return db.session.scalar(statement) or 0


def entries(org_id: uuid.UUID, shortlist_id: uuid.UUID, *, query: str = "", status: str = ""):
    statement = entries_statement(org_id, shortlist_id, query=query, status=status)
    return list(db.session.execute(statement))


def entries_statement(
    org_id: uuid.UUID, shortlist_id: uuid.UUID, *, query: str = "", status: str = ""
):
    """(entry, candidate) of a shortlist, filtered by a search and a response status."""
    statement = (
        scoped(select(ShortlistEntry, Candidate), org_id, ShortlistEntry)
        .join(Candidate, Candidate.id == ShortlistEntry.candidate_id)
        .where(ShortlistEntry.shortlist_id == shortlist_id)
    )
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(
            func.lower(
                Candidate.email + " " + Candidate.first_name + " " + Candidate.last_name
            ).like(like)
        )
    if status:
        statement = statement.where(ShortlistEntry.response_status == status)
    return statement.order_by(Candidate.last_name, Candidate.email)


def parse_slots(raw: str) -> list[str]:
    """Offered slots from one ISO-8601 UTC time per line (naive times are taken as UTC)."""
    slots = []
    for line in (raw or "").splitlines():
        if line.strip():
            slots.append(parse_utc(line.strip()).isoformat())
    return slots


def parse_utc(value: str) -> datetime:
    from datetime import UTC

    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def update_entry(
    entry: ShortlistEntry,
    *,
    interview_at: datetime | None,
    duration_minutes: int,
    location: str,
    video_url: str,
    offered_slots: list[str],
    is_canceled: bool = False,
) -> str:
    """Edit an entry's interview; returns what changed for reminders: set|moved|canceled|none."""
    previous, was_canceled = entry.interview_at, entry.is_canceled
    entry.interview_at = interview_at
    entry.duration_minutes = duration_minutes
    entry.location = location
    entry.video_url = video_url
    entry.offered_slots = offered_slots
    entry.is_canceled = is_canceled
    db.session.flush()
    if is_canceled and not was_canceled:
        return "canceled"
    if interview_at != previous:
        return "moved" if previous else "set"
    return "none"


def remove_entry(entry: ShortlistEntry) -> None:
    db.session.delete(entry)
    db.session.flush()
