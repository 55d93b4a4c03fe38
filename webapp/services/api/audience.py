"""Candidate upsert and shortlist entries as the API offers them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Candidate, Shortlist, ShortlistEntry
from webapp.services.api.validation import parse_datetime
from webapp.services.audience import shortlists
from webapp.services.audience.candidates import CANDIDATE_FIELDS, save_candidate
from webapp.tenancy import scoped


def find_candidate(org_id: uuid.UUID, *, email: str, external_id: str | None) -> Candidate | None:
    """Match by ``external_id`` first (ids survive address changes), then by email."""
    live = scoped(select(Candidate), org_id).where(Candidate.erased_at.is_(None))
    if external_id:
        match = db.session.scalars(live.where(Candidate.external_id == external_id)).first()
        if match is not None:
            return match
    return db.session.scalars(live.where(Candidate.email == email.strip().lower())).first()


def upsert_candidate(org_id: uuid.UUID, data: dict[str, Any]) -> tuple[Candidate, bool]:
    """Create or update; fields not given keep their value. Raises ``CandidateError``."""
    existing = find_candidate(org_id, email=data["email"], external_id=data.get("external_id"))
    merged = {name: getattr(existing, name) or "" for name in CANDIDATE_FIELDS} if existing else {}
    merged.update({name: data[name] for name in CANDIDATE_FIELDS if name in data})
    candidate = save_candidate(org_id, merged, existing)
    if "attributes" in data:
        candidate.attributes = dict(data["attributes"])
    db.session.flush()
    return candidate, existing is None


def put_entry(
    org_id: uuid.UUID, shortlist: Shortlist, candidate: Candidate, data: dict[str, Any]
) -> tuple[ShortlistEntry, str]:
    """Add ``candidate`` to ``shortlist`` if needed and set the interview; returns the change."""
    entry = _entry(org_id, shortlist, candidate)
    interview_at = entry.interview_at
    if "interview_at" in data:
        interview_at = parse_datetime(data["interview_at"], "interview_at")
    change = shortlists.update_entry(
        entry,
        interview_at=interview_at,
        duration_minutes=data.get("duration_minutes", entry.duration_minutes or 45),
        location=data.get("location", entry.location or ""),
        video_url=data.get("video_url", entry.video_url or ""),
        offered_slots=list(entry.offered_slots or []),
        is_canceled=data.get("is_canceled", bool(entry.is_canceled)),
    )
    return entry, change


def _entry(org_id: uuid.UUID, shortlist: Shortlist, candidate: Candidate) -> ShortlistEntry:
    statement = scoped(select(ShortlistEntry), org_id).where(
        ShortlistEntry.shortlist_id == shortlist.id, ShortlistEntry.candidate_id == candidate.id
    )
    entry = db.session.scalars(statement).first()
    if entry is None:
        shortlists.add_candidates(org_id, shortlist, [candidate.id])
        entry = db.session.scalars(statement).one()
    return entry
