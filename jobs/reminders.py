"""Reminder safety net: upcoming interviews that have no reminder messages get them.

Reminders are normally created the moment an interview time is set (``reminders.
schedule_for_entry``) for a candidate who was already invited; this periodic job covers
entries whose invitation went out after the time was set, and those whose time was set another
way (an import, the API, a database fix). It is safe to run any number of times: it only looks
at invited entries with no reminder message at all.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import exists, select

from webapp.extensions import db
from webapp.models import Message, Organization, ShortlistEntry, utcnow
from webapp.services.interviews import reminders

logger = logging.getLogger(__name__)
HORIZON = timedelta(days=60)


def schedule_due(limit: int = 1000) -> int:
    now = utcnow()
    has_reminder = exists().where(
        Message.shortlist_entry_id == ShortlistEntry.id, Message.kind.in_(reminders.REMINDER_KINDS)
    )
    statement = (
        select(ShortlistEntry)
        .where(ShortlistEntry.interview_at > now, ShortlistEntry.interview_at < now + HORIZON)
        .where(ShortlistEntry.is_canceled.is_(False), ShortlistEntry.response_status != "declined")
        .where(~has_reminder, reminders.knows_of_interview_clause())
        .limit(limit)
    )
    created = 0
    for entry in list(db.session.scalars(statement)):
        org = db.session.get(Organization, entry.org_id)
        created += len(reminders.schedule_for_entry(org, entry, now))
    db.session.commit()
    if created:
        logger.info("reminders: %s scheduled by the safety net", created)
    return created
