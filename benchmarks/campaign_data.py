"""Test data for ``bench_campaigns``: an organization with a large shortlist and a campaign."""

from __future__ import annotations

import uuid

from webapp.extensions import db
from webapp.models import (
    Campaign,
    Candidate,
    EmailTemplate,
    Job,
    Shortlist,
    ShortlistEntry,
    TemplateVersion,
    new_id,
    utcnow,
)
from webapp.services.organizations import create_organization

ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")


def make_audience(count: int) -> uuid.UUID:
    org = create_organization("Bench Org", postal_address="1 Bench Street")
    job = Job(org_id=org.id, title="Engineer", location="Lyon")
    db.session.add(job)
    db.session.flush()
    shortlist = Shortlist(org_id=org.id, job_id=job.id, name="Bench shortlist")
    template = EmailTemplate(
        org_id=org.id, name="Invite", type="invitation", category="invitations"
    )
    db.session.add_all([shortlist, template])
    db.session.flush()
    version = TemplateVersion(
        org_id=org.id,
        template_id=template.id,
        number=1,
        subject="Hi {{ candidate.first_name }}",
        body_mjml="<mj-text>Hi</mj-text>",
    )
    db.session.add(version)
    db.session.flush()
    template.current_version_id = version.id
    now = utcnow()
    ids = [new_id() for _ in range(count)]
    for start in range(0, count, 10_000):
        chunk = ids[start : start + 10_000]
        db.session.execute(
            Candidate.__table__.insert(),
            [
                {
                    "id": cid,
                    "org_id": org.id,
                    "email": f"c{start + n}@example.com",
                    "first_name": f"C{start + n}",
                    "last_name": "Bench",
                    "timezone": ZONES[n % 5],
                    "locale": "en",
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n, cid in enumerate(chunk)
            ],
        )
        db.session.execute(
            ShortlistEntry.__table__.insert(),
            [
                {
                    "id": new_id(),
                    "org_id": org.id,
                    "shortlist_id": shortlist.id,
                    "candidate_id": cid,
                    "created_at": now,
                    "offered_slots": [],
                    "duration_minutes": 45,
                    "location": "",
                    "video_url": "",
                    "response_status": "pending",
                    "response_note": "",
                    "invite_nonce": 0,
                    "is_canceled": False,
                    "interview_at": now,
                }
                for cid in chunk
            ],
        )
    campaign = Campaign(
        org_id=org.id,
        name="Bench campaign",
        status="scheduled",
        job_id=job.id,
        shortlist_id=shortlist.id,
        template_id=template.id,
        template_version_id=version.id,
        category="invitations",
        candidate_ids=[str(i) for i in ids],
        schedule_mode="now",
        send_window={},
        total_recipients=count,
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign.id
