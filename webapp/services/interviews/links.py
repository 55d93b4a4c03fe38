"""Secure interview links: signed, expiring, single-candidate, revocable tokens.

A token carries ``[org_id, shortlist_entry_id, nonce]`` signed for the ``interview`` purpose
(see :mod:`webapp.services.tokens`); it expires after ``tokens.DEFAULT_MAX_AGE['interview']``.
Revoking bumps ``ShortlistEntry.invite_nonce``, so every link issued before stops working
while new ones can be sent. Verification reads one row: the entry must exist in that
organization, carry the same nonce, and its candidate must not be erased. A canceled interview
still opens (the page says so) but takes no answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from webapp.extensions import db
from webapp.i18n.catalogs import N_
from webapp.models import Candidate, ShortlistEntry, utcnow
from webapp.services import links
from webapp.services.tokens import InvalidToken, read_token
from webapp.tenancy import parse_uuid

ACTIONS = {
    "accept": "accepted",
    "decline": "declined",
    "reschedule": "reschedule_requested",
    "slot": "accepted",
}


def invite_url(entry: ShortlistEntry) -> str:
    return links.interview_url(entry.org_id, entry.id, entry.invite_nonce)


def verify(token: str, max_age: int | None = None) -> ShortlistEntry:
    """The entry a token is for; raises InvalidToken (tampered, expired, revoked, unknown)."""
    payload = read_token("interview", token, max_age=max_age)
    if not isinstance(payload, list) or len(payload) != 3:
        raise InvalidToken("invalid")
    org_id, entry_id, nonce = parse_uuid(payload[0]), parse_uuid(payload[1]), payload[2]
    entry = db.session.get(ShortlistEntry, entry_id) if entry_id else None
    if entry is None or entry.org_id != org_id or entry.invite_nonce != nonce:
        raise InvalidToken("revoked or unknown")
    candidate = db.session.get(Candidate, entry.candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise InvalidToken("revoked or unknown")
    return entry  # a canceled interview still opens: the page says it was canceled


def describe(token: str) -> dict[str, Any]:
    """For integrations (API): whether a token is valid, and for which entry."""
    try:
        entry = verify(token)
    except InvalidToken as exc:
        return {"valid": False, "reason": str(exc)}
    return {
        "valid": True,
        "org_id": str(entry.org_id),
        "shortlist_entry_id": str(entry.id),
        "candidate_id": str(entry.candidate_id),
        "response_status": entry.response_status,
        "is_canceled": entry.is_canceled,
    }


def revoke(entry: ShortlistEntry) -> None:
    entry.invite_nonce = (entry.invite_nonce or 0) + 1
    db.session.flush()


def respond(entry: ShortlistEntry, action: str, *, slot: str = "", note: str = "") -> str:
    """Record the candidate's answer; returns the new response status.

    Raises ValueError for an unknown action or a slot that was not offered (its message is
    marked for the catalogs: the page shows it in the candidate's language). A new answer is
    confirmed by email (``interview_updates.confirm_answer``), the recruiters responsible are
    told (``response_notices``), reminders follow it (moved to a picked slot, canceled on
    decline) and ``candidate.responded`` is emitted for outgoing webhooks. The same answer
    given again (a second tap) only updates the note.
    """
    if action not in ACTIONS:
        raise ValueError(N_("Unknown answer."))
    if entry.is_canceled:
        raise ValueError(N_("This interview was canceled; the recruiter will contact you."))
    previous_status, previous_at = entry.response_status, entry.interview_at
    if action == "slot":
        if slot not in (entry.offered_slots or []):
            raise ValueError(N_("Pick one of the offered times."))
        entry.interview_at = datetime.fromisoformat(slot)
    entry.response_status = ACTIONS[action]
    entry.response_note = note.strip()[:2000]
    if (entry.response_status, entry.interview_at) == (previous_status, previous_at):
        db.session.flush()
        return entry.response_status
    moved = entry.interview_at != previous_at
    if moved and previous_at is not None:
        entry.ics_sequence = (entry.ics_sequence or 0) + 1  # the calendar entry moves
    entry.responded_at = utcnow()
    db.session.flush()
    _after_answer(entry, moved)
    return entry.response_status


def _after_answer(entry: ShortlistEntry, moved: bool) -> None:
    from webapp.models import Organization
    from webapp.services.interviews import reminders, response_notices
    from webapp.services.interviews import updates as interview_updates
    from webapp.services.notify.webhooks import emit

    org = db.session.get(Organization, entry.org_id)
    if entry.response_status == "declined":
        reminders.cancel_for_entry(entry)
    elif moved or entry.response_status == "accepted":
        reminders.schedule_for_entry(org, entry)
    interview_updates.confirm_answer(org, entry)
    response_notices.notify_answer(org, entry)
    emit(
        entry.org_id,
        "candidate.responded",
        {
            "shortlist_entry_id": str(entry.id),
            "candidate_id": str(entry.candidate_id),
            "shortlist_id": str(entry.shortlist_id),
            "response": entry.response_status,
            "interview_at": entry.interview_at.isoformat() if entry.interview_at else None,
            "note": entry.response_note,
        },
    )


def entry_from_id(org_id: uuid.UUID, entry_id: Any) -> ShortlistEntry | None:
    parsed = parse_uuid(entry_id)
    entry = db.session.get(ShortlistEntry, parsed) if parsed else None
    return entry if entry is not None and entry.org_id == org_id else None
