"""Test data factories: small functions that flush, never commit."""

from __future__ import annotations

import itertools
from datetime import timedelta

from webapp.extensions import db
from webapp.models import Candidate, Job, Shortlist, ShortlistEntry, utcnow
from webapp.services.accounts.organizations import add_member, create_organization, create_user

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_org(name: str = "Org", **fields):
    fields.setdefault("postal_address", "1 Main Street, Springfield")
    fields.setdefault("sender_email", "jobs@example.com")
    fields.setdefault("sender_name", name)
    fields.setdefault("sending_domain", "example.com")
    return create_organization(name, **fields)


def make_user(email: str | None = None, *, org=None, role: str = "owner", password: str = PASSWORD):
    user = create_user(email or f"user{next(_seq)}@example.com", password, name="Test User")
    if org is not None:
        add_member(org, user, role)
    return user


def make_candidate(org, email: str | None = None, **fields):
    n = next(_seq)
    candidate = Candidate(
        org_id=org.id,
        email=(email or f"candidate{n}@example.com").lower(),
        first_name=fields.pop("first_name", f"Cand{n}"),
        last_name=fields.pop("last_name", "Idate"),
        **fields,
    )
    db.session.add(candidate)
    db.session.flush()
    return candidate


def make_job(org, title: str = "Backend Engineer", **fields):
    job = Job(org_id=org.id, title=title, **fields)
    db.session.add(job)
    db.session.flush()
    return job


def make_shortlist(org, job=None, candidates=(), *, interview_in_hours: float | None = 72):
    job = job or make_job(org)
    shortlist = Shortlist(org_id=org.id, job_id=job.id, name=f"{job.title} shortlist")
    db.session.add(shortlist)
    db.session.flush()
    for index, candidate in enumerate(candidates):
        at = None
        if interview_in_hours is not None:
            at = utcnow().replace(microsecond=0) + timedelta(hours=interview_in_hours + index)
        db.session.add(
            ShortlistEntry(
                org_id=org.id,
                shortlist_id=shortlist.id,
                candidate_id=candidate.id,
                interview_at=at,
                video_url="https://meet.example.com/room",
            )
        )
    db.session.flush()
    return shortlist


def make_sent_invitation(org, entry, *, status: str = "sent", campaign_id=None):
    """An invitation for the entry's interview, as the outbox records it once sent."""
    from webapp.models import Message

    candidate = db.session.get(Candidate, entry.candidate_id)
    message = Message(
        org_id=org.id,
        status=status,
        send_after=utcnow(),
        sent_at=utcnow() if status in ("sent", "delivered") else None,
        is_transactional=False,
        category="invitations",
        kind="invitation",
        to_email=candidate.email,
        candidate_id=candidate.id,
        campaign_id=campaign_id,
        shortlist_entry_id=entry.id,
    )
    db.session.add(message)
    db.session.flush()
    return message
