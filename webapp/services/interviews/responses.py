"""Candidates' answers to interview invitations, as the recruiters' "Responses" view reads them.

An answer is unread until someone marks it read (``ShortlistEntry.response_read_at``); a new
answer after that makes it unread again. The list shows unread answers first, newest first,
and can be narrowed to one job or one campaign (the entries that campaign invited).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from webapp.extensions import db
from webapp.models import Campaign, Candidate, Job, Message, Shortlist, ShortlistEntry, utcnow

LIMIT = 200


@dataclass(frozen=True)
class Response:
    entry: ShortlistEntry
    candidate: Candidate
    job: Job
    is_unread: bool


def unread_clause():
    return and_(
        ShortlistEntry.responded_at.is_not(None),
        or_(
            ShortlistEntry.response_read_at.is_(None),
            ShortlistEntry.response_read_at < ShortlistEntry.responded_at,
        ),
    )


def _statement(org_id: uuid.UUID, job_id: uuid.UUID | None, campaign_id: uuid.UUID | None):
    statement = (
        select(ShortlistEntry, Candidate, Job)
        .join(Candidate, Candidate.id == ShortlistEntry.candidate_id)
        .join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
        .join(Job, Job.id == Shortlist.job_id)
        .where(ShortlistEntry.org_id == org_id, ShortlistEntry.responded_at.is_not(None))
    )
    if job_id is not None:
        statement = statement.where(Job.id == job_id)
    if campaign_id is not None:
        invited = select(Message.shortlist_entry_id).where(
            Message.org_id == org_id, Message.campaign_id == campaign_id
        )
        statement = statement.where(ShortlistEntry.id.in_(invited))
    return statement


def list_responses(
    org_id: uuid.UUID, *, job_id: uuid.UUID | None = None, campaign_id: uuid.UUID | None = None
) -> list[Response]:
    unread = unread_clause()
    statement = _statement(org_id, job_id, campaign_id).add_columns(unread.label("unread"))
    statement = statement.order_by(unread.desc(), ShortlistEntry.responded_at.desc()).limit(LIMIT)
    return [Response(e, c, j, bool(u)) for e, c, j, u in db.session.execute(statement)]


def unread_count(org_id: uuid.UUID) -> int:
    statement = select(func.count()).where(ShortlistEntry.org_id == org_id, unread_clause())
    return db.session.scalar(statement) or 0


def mark_read(
    org_id: uuid.UUID, entry_ids: list[uuid.UUID] | None = None, now: datetime | None = None
) -> int:
    """Mark these answers (default: every unread answer of the organization) read."""
    statement = update(ShortlistEntry).where(ShortlistEntry.org_id == org_id, unread_clause())
    if entry_ids is not None:
        statement = statement.where(ShortlistEntry.id.in_(entry_ids))
    result = db.session.execute(
        statement.values(response_read_at=now or utcnow()).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount


def filter_choices(org_id: uuid.UUID) -> tuple[list, list]:
    jobs = db.session.execute(
        select(Job.id, Job.title).where(Job.org_id == org_id).order_by(Job.title)
    ).all()
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.name)
        .where(Campaign.org_id == org_id, Campaign.shortlist_id.is_not(None))
        .order_by(Campaign.created_at.desc())
    ).all()
    return jobs, campaigns
