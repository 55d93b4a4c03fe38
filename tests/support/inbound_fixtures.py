"""Fixtures for the incoming-mail tests: an organization that sends through its own relay
with bounce and reply handling on, a recruiter's campaign and five sent invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Campaign, Message, ShortlistEntry, utcnow
from webapp.services.inbound import addresses
from webapp.services.sending import outbox


@pytest.fixture
def recruiting(org):
    """An organization with bounces and replies on, a recruiter's campaign, five candidates."""
    addresses.set_switches(org, return_path=True, replies=True)
    recruiter = factories.make_user("recruiter@acme.example", org=org, role="editor")
    factories.make_user("admin@acme.example", org=org, role="admin")
    job = factories.make_job(org, "Backend Engineer", location="Berlin")
    people = [factories.make_candidate(org, f"cand{n}@example.org") for n in range(5)]
    people[4].first_name, people[4].last_name = "Jane", "Doe"
    shortlist = factories.make_shortlist(org, job, people)
    campaign = Campaign(
        org_id=org.id, name="Backend interviews", job_id=job.id, created_by_id=recruiter.id
    )
    db.session.add(campaign)
    db.session.flush()
    entries = {e.candidate_id: e for e in db.session.scalars(select(ShortlistEntry))}
    messages = [sent_message(org, c, campaign, entries[c.id], shortlist) for c in people]
    db.session.commit()
    return org, messages


def sent_message(org, candidate, campaign, entry, shortlist) -> Message:
    message = outbox.create_message(
        org.id,
        to_email=candidate.email,
        raw_subject="Your interview at Acme",
        raw_text="Hello",
        candidate_id=candidate.id,
        campaign_id=campaign.id,
        shortlist_entry_id=entry.id,
        send_after=utcnow() + timedelta(days=1),  # scheduled: nothing is enqueued
    )
    message.status, message.sent_at = "sent", utcnow() - timedelta(hours=1)
    message.subject = "Your interview at Acme"
    message.message_id_header = f"<{message.id}@example.com>"
    return message
