"""Emails that follow an interview's life, sent through the outbox (DESIGN "The outbox").

- The candidate's answer is confirmed: accepting or picking a slot gives a ``confirmation``
  with the calendar entry (.ics, METHOD:REQUEST); asking for another time or declining gives an
  ``acknowledgement``. Answering again replaces a confirmation not yet sent; repeating the same
  answer (a second tap) sends nothing.
- A recruiter's change is announced: a move gives a ``reschedule`` (.ics METHOD:REQUEST, same
  UID, SEQUENCE + 1), a cancellation a ``cancellation`` (METHOD:CANCEL, SEQUENCE + 1). The
  announcement waits ``interview_update_delay_seconds``; edits made meanwhile update that same
  row (its kind follows the latest change) instead of adding another, so quick successive
  edits send one email. The .ics is built when the email is sent, so it carries the latest
  time. Only a candidate who knows about the interview (invitation sent, or answered) is told:
  before that, the invitation itself carries the new time.

All of these are transactional: they answer something the candidate did or is part of, so an
unsubscribe from updates does not stop them (bounces and complaints still do).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Candidate, Message, MessageStatus, Organization, ShortlistEntry, utcnow
from webapp.services.interviews.reminders import cancel_unsent, knows_of_interview
from webapp.services.sending.outbox import create_message

logger = logging.getLogger(__name__)

ANSWER_KINDS = ("confirmation", "acknowledgement")
ANNOUNCEMENT_KINDS = ("reschedule", "cancellation")
NOTIFY_SETTING = "notify_candidates_of_changes"  # Organization.settings key, default on


def notifies_by_default(org: Organization) -> bool:
    return bool((org.settings or {}).get(NOTIFY_SETTING, True))


def confirm_answer(org: Organization, entry: ShortlistEntry) -> Message:
    """Queue the email that confirms the candidate's (new) answer."""
    kind = "confirmation" if entry.response_status == "accepted" else "acknowledgement"
    cancel_unsent(entry, ANSWER_KINDS)
    return _create(org, entry, kind, send_after=None)


def announce_change(
    org: Organization, entry: ShortlistEntry, change: str, now: datetime | None = None
) -> Message | None:
    """Queue (or refresh) the one announcement of a recruiter's edit; ``change`` is what
    ``shortlists.update_entry`` returned. Returns the announcement, or None when there is none."""
    if change == "canceled":
        kind = "cancellation"
    elif change == "moved" and not entry.is_canceled:
        kind = "reschedule"
    else:
        return None
    if not knows_of_interview(entry):
        logger.info("change of entry %s not announced: the candidate was not invited", entry.id)
        return None
    now = now or utcnow()
    due = now + timedelta(seconds=current_app.config["HERALD"].interview_update_delay_seconds)
    pending = _pending_announcement(entry, now)
    if pending is not None:
        pending.kind, pending.send_after = kind, due
        db.session.flush()
        return pending
    entry.ics_sequence = (entry.ics_sequence or 0) + 1
    return _create(org, entry, kind, send_after=due)


def _pending_announcement(entry: ShortlistEntry, now: datetime) -> Message | None:
    """An announcement still waiting for more edits (not yet picked up by the dispatcher)."""
    return db.session.scalars(
        select(Message)
        .where(
            Message.shortlist_entry_id == entry.id,
            Message.kind.in_(ANNOUNCEMENT_KINDS),
            Message.status == MessageStatus.SCHEDULED.value,
            Message.send_after > now,
        )
        .order_by(Message.created_at.desc())
    ).first()


def _create(
    org: Organization, entry: ShortlistEntry, kind: str, *, send_after: datetime | None
) -> Message:
    candidate = db.session.get(Candidate, entry.candidate_id)
    # Template: the organization's own for this kind, else the system default (compose).
    return create_message(
        org.id,
        to_email=candidate.email,
        to_name=candidate.full_name,
        category="transactional",
        is_transactional=True,
        kind=kind,
        send_after=send_after,
        candidate_id=candidate.id,
        shortlist_entry_id=entry.id,
    )
