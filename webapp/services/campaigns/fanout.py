"""The fan-out of a confirmed campaign: one Message row per recipient, written in chunks.

Each chunk is one bulk ``INSERT … ON CONFLICT DO NOTHING`` (PostgreSQL: one ``INSERT … SELECT``,
``campaigns.sql``); the unique (campaign_id, candidate_id) constraint makes it idempotent and
``Campaign.expanded_count`` is the cursor, so a crashed fan-out resumes where it stopped and
never writes a second message for a candidate. Rows are ``scheduled`` with their own
``send_after`` (recipient-local time and send window applied); the dispatcher queues them when
due.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.models import (
    Campaign,
    CampaignStatus,
    Candidate,
    EmailTemplate,
    Job,
    Message,
    MessageStatus,
    Organization,
    ShortlistEntry,
    new_id,
    utcnow,
)
from webapp.services import queues
from webapp.services.campaigns import sql as campaign_sql
from webapp.services.campaigns.bulk import copy_insert_ignore, id_in, is_postgresql
from webapp.services.campaigns.context import recipient_context
from webapp.services.campaigns.run import PAUSED
from webapp.services.scheduling import send_time
from webapp.services.templates.context_data import job_data

logger = logging.getLogger(__name__)

CHUNK = 10_000


def expand_chunk(campaign: Campaign, *, now: datetime | None = None, size: int = CHUNK) -> int:
    """Write the next chunk of messages; returns how many recipients it covered (0 = done).

    Messages due now are written ``queued`` and handed to the bulk queue after the chunk's
    commit; later ones are ``scheduled`` for the dispatcher.
    """
    now = now or utcnow()
    ids = campaign.candidate_ids[campaign.expanded_count : campaign.expanded_count + size]
    if not ids:
        return 0
    org = db.session.get(Organization, campaign.org_id)
    job = db.session.get(Job, campaign.job_id) if campaign.job_id else None
    template = db.session.get(EmailTemplate, campaign.template_id) if campaign.template_id else None
    uuids = [uuid.UUID(i) for i in ids]
    paused = campaign.status == CampaignStatus.PAUSED.value
    if is_postgresql():
        due = _expand_sql(campaign, org, template, job, uuids, now, paused)
    else:
        due = _expand_python(campaign, org, template, job, uuids, now, paused)
    if due:
        after_commit(queues.enqueue_due_campaign_messages, due)
    campaign.expanded_count += len(ids)
    db.session.flush()
    return len(ids)


def _expand_python(campaign, org, template, job, uuids, now, paused) -> list[uuid.UUID]:
    entries = _entries(campaign, uuids)
    rows = [
        _row(org, campaign, template, job, candidate, entries.get(candidate.id), now, paused)
        for candidate in _candidates(campaign.org_id, uuids)
    ]
    inserted = copy_insert_ignore(Message.__table__, rows, ["campaign_id", "candidate_id"])
    queued = MessageStatus.QUEUED.value
    return [row["id"] for row in rows if row["status"] == queued and row["id"] in inserted]


def _expand_sql(campaign, org, template, job, uuids, now, paused) -> list[str]:
    def due_for_zone(zone_name: str) -> datetime:
        return send_time(
            campaign.schedule_mode,
            now=now,
            recipient_tz=zone_name,
            org_tz=org.timezone,
            send_at=campaign.send_at,
            local_time=campaign.local_time,
            window=campaign.send_window,
        )

    zones = campaign_sql.zone_times(campaign.org_id, due_for_zone)
    params = {
        "org_id": campaign.org_id,
        "campaign_id": campaign.id,
        "category": campaign.category,
        "kind": template.type if template else "invitation",
        "template_id": campaign.template_id,
        "template_version_id": campaign.template_version_id,
        "job": job_data(job),
        "org_tz": org.timezone,
        "shortlist_id": campaign.shortlist_id,
    }
    return campaign_sql.insert_chunk(params, uuids, zones, now, paused)


@dataclass
class _Person:
    """The columns fan-out needs, read without building ORM objects (fast for 100,000)."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    timezone: str
    locale: str
    attributes: dict

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _candidates(org_id: uuid.UUID, ids: list[uuid.UUID]) -> list[_Person]:
    statement = select(
        Candidate.id,
        Candidate.email,
        Candidate.first_name,
        Candidate.last_name,
        Candidate.timezone,
        Candidate.locale,
        Candidate.attributes,
    ).where(Candidate.org_id == org_id, id_in(Candidate.id, ids), Candidate.erased_at.is_(None))
    return [_Person(*row) for row in db.session.execute(statement)]


def _entries(campaign: Campaign, candidate_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not campaign.shortlist_id:
        return {}
    statement = select(
        ShortlistEntry.id,
        ShortlistEntry.candidate_id,
        ShortlistEntry.interview_at,
        ShortlistEntry.duration_minutes,
        ShortlistEntry.location,
        ShortlistEntry.video_url,
        ShortlistEntry.offered_slots,
        ShortlistEntry.response_status,
    ).where(
        ShortlistEntry.shortlist_id == campaign.shortlist_id,
        id_in(ShortlistEntry.candidate_id, candidate_ids),
    )
    return {row.candidate_id: row for row in db.session.execute(statement)}


def _row(org, campaign, template, job, candidate, entry, now, paused) -> dict[str, Any]:
    due = send_time(
        campaign.schedule_mode,
        now=now,
        recipient_tz=candidate.timezone,
        org_tz=org.timezone,
        send_at=campaign.send_at,
        local_time=campaign.local_time,
        window=campaign.send_window,
    )
    status = MessageStatus.QUEUED.value if due <= now else MessageStatus.SCHEDULED.value
    return {
        "id": new_id(),
        "org_id": campaign.org_id,
        "created_at": now,
        "status": PAUSED if paused else status,
        "send_after": due,
        "queued_at": now if status == MessageStatus.QUEUED.value and not paused else None,
        "is_transactional": False,
        "category": campaign.category,
        "kind": template.type if template else "invitation",
        "to_email": candidate.email,
        "to_name": candidate.full_name,
        "candidate_id": candidate.id,
        "campaign_id": campaign.id,
        "shortlist_entry_id": entry.id if entry else None,
        "template_id": campaign.template_id,
        "template_version_id": campaign.template_version_id,
        "context": recipient_context(org, candidate, entry, job, words=False),
        "links": [],
    }
