"""Candidates and jobs: search, create, edit, and erasure of personal data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update

from webapp.extensions import db
from webapp.models import Candidate, DeliveryAttempt, Job, Message, ShortlistEntry, utcnow
from webapp.models.audience import DigestItem
from webapp.services import languages
from webapp.services.addresses import EmailNotValidError, normalized_address
from webapp.services.scheduling import is_known_timezone
from webapp.services.tracking import domain_rollups
from webapp.tenancy import scoped

PAGE_SIZE = 50
CANDIDATE_FIELDS = ("email", "first_name", "last_name", "timezone", "locale", "external_id")


class CandidateError(ValueError):
    """A candidate field is unusable; ``field`` names it so the form can show it there."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Page:
    items: list[Any]
    page: int
    has_next: bool
    total: int


def normalize_email(raw: str) -> str:
    """Validated, lower-cased address (no DNS lookups); raises CandidateError."""
    try:
        return normalized_address(raw)
    except EmailNotValidError as exc:
        raise CandidateError("email", str(exc)) from exc


def search_candidates(
    org_id: uuid.UUID, *, query: str = "", timezone: str = "", page: int = 1, job_id=None
) -> Page:
    statement = scoped(select(Candidate), org_id).where(Candidate.erased_at.is_(None))
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(Candidate.email).like(like),
                func.lower(Candidate.first_name + " " + Candidate.last_name).like(like),
                func.lower(func.coalesce(Candidate.external_id, "")).like(like),
            )
        )
    if timezone:
        statement = statement.where(Candidate.timezone == timezone)
    if job_id:
        from webapp.models import Shortlist

        statement = statement.where(
            Candidate.id.in_(
                select(ShortlistEntry.candidate_id)
                .join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
                .where(Shortlist.job_id == job_id)
            )
        )
    return paginate(statement.order_by(Candidate.created_at.desc(), Candidate.id), page)


def paginate(statement, page: int, size: int = PAGE_SIZE) -> Page:
    page = max(page, 1)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = list(db.session.scalars(statement.limit(size + 1).offset((page - 1) * size)))
    return Page(rows[:size], page, len(rows) > size, total or 0)


def clean_candidate_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {name: (data.get(name) or "").strip() for name in CANDIDATE_FIELDS}
    fields["email"] = normalize_email(fields["email"])
    fields["timezone"] = fields["timezone"] or "UTC"
    if not is_known_timezone(fields["timezone"]):
        raise CandidateError("timezone", f"Unknown time zone {fields['timezone']!r}.")
    try:
        fields["locale"] = languages.normalize(fields["locale"]) if fields["locale"] else "en"
    except languages.LanguageError as exc:
        raise CandidateError("locale", str(exc)) from None
    fields["external_id"] = fields["external_id"] or None
    return fields


def save_candidate(
    org_id: uuid.UUID, data: dict[str, Any], candidate: Candidate | None = None
) -> Candidate:
    """Create or update a candidate from form data; raises CandidateError."""
    fields = clean_candidate_fields(data)
    clash = db.session.scalar(
        scoped(select(Candidate.id), org_id, Candidate).where(Candidate.email == fields["email"])
    )
    if clash is not None and (candidate is None or clash != candidate.id):
        raise CandidateError("email", "Another candidate already has this address.")
    if candidate is None:
        candidate = Candidate(org_id=org_id)
        db.session.add(candidate)
    for name, value in fields.items():
        setattr(candidate, name, value)
    db.session.flush()
    return candidate


def candidate_messages(org_id: uuid.UUID, candidate_id: uuid.UUID) -> list[Message]:
    statement = scoped(select(Message), org_id).where(Message.candidate_id == candidate_id)
    return list(db.session.scalars(statement.order_by(Message.created_at.desc()).limit(500)))


def erase_candidate(candidate: Candidate) -> None:
    """Erase personal data, keep anonymous counts (messages stay, without who they went to)."""
    placeholder = f"erased-{candidate.id.hex}@erased.invalid"
    old_email = candidate.email
    theirs = (
        select(Message.id)
        .where(Message.org_id == candidate.org_id)
        .where(or_(Message.candidate_id == candidate.id, Message.to_email == old_email))
    )
    db.session.execute(  # SMTP replies often quote the address
        update(DeliveryAttempt)
        .where(DeliveryAttempt.message_id.in_(theirs))
        .values(smtp_reply="")
        .execution_options(synchronize_session=False)
    )
    ids = list(db.session.scalars(theirs))
    domain_rollups.add_sent(ids, sign=-1)  # their domain goes too
    db.session.execute(
        update(Message)
        .where(Message.id.in_(theirs))
        .values(to_email=placeholder, to_name="", context={}, subject="", last_error="")
        .execution_options(synchronize_session=False)
    )
    domain_rollups.add_sent(ids)
    db.session.execute(
        update(DigestItem)
        .where(DigestItem.org_id == candidate.org_id, DigestItem.email == old_email)
        .values(email=placeholder, context={}, subject="")
    )
    db.session.execute(
        update(ShortlistEntry)
        .where(ShortlistEntry.candidate_id == candidate.id)
        .values(response_note="", invite_nonce=ShortlistEntry.invite_nonce + 1)
    )
    candidate.email = placeholder
    candidate.first_name = ""
    candidate.last_name = ""
    candidate.external_id = None
    candidate.attributes = {}
    candidate.erased_at = utcnow()
    from webapp.services.inbound.history import erase_candidate_mail

    erase_candidate_mail(candidate.org_id, candidate.id)  # what they wrote to us
    db.session.flush()


def search_jobs(org_id: uuid.UUID, *, query: str = "", status: str = "", page: int = 1) -> Page:
    statement = scoped(select(Job), org_id)
    if query:
        statement = statement.where(func.lower(Job.title).like(f"%{query.strip().lower()}%"))
    if status in ("open", "closed"):
        statement = statement.where(Job.is_open.is_(status == "open"))
    return paginate(statement.order_by(Job.created_at.desc(), Job.id), page)


def save_job(org_id: uuid.UUID, data: dict[str, Any], job: Job | None = None) -> Job:
    title = (data.get("title") or "").strip()
    if not title:
        raise CandidateError("title", "Give the job a title.")
    if job is None:
        job = Job(org_id=org_id, title=title)
        db.session.add(job)
    job.title = title
    job.location = (data.get("location") or "").strip()
    job.department = (data.get("department") or "").strip()
    job.is_open = bool(data.get("is_open", True))
    if "recruiter_ids" in data:
        job.recruiter_ids = [str(i) for i in data["recruiter_ids"] or []]
    db.session.flush()
    return job


def candidate_shortlists(org_id: uuid.UUID, candidate_id: uuid.UUID) -> list[tuple[Any, Any, Any]]:
    """(entry, shortlist, job) for every shortlist the candidate is on."""
    from webapp.models import Shortlist

    statement = (
        scoped(select(ShortlistEntry, Shortlist, Job), org_id, ShortlistEntry)
        .join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
        .join(Job, Job.id == Shortlist.job_id)
        .where(ShortlistEntry.candidate_id == candidate_id)
    )
    return [tuple(row) for row in db.session.execute(statement)]
