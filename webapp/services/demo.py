"""The demo organization that ``make run`` seeds once."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Candidate, Job, Organization, Shortlist, ShortlistEntry, utcnow
from webapp.services.accounts.organizations import (
    add_member,
    create_organization,
    create_user,
    find_user,
)

DEMO_SLUG = "demo"
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/London",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Tim",
    "Radia",
    "Edsger",
    "Hedy",
    "John",
    "Shafi",
    "Leslie",
    "Donald",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "Dijkstra",
    "Lamarr",
    "McCarthy",
    "Goldwasser",
]


def seed_demo(admin_email: str, admin_password: str) -> bool:
    """Create the demo organization, its admin and sample data. False when already there."""
    if db.session.scalars(select(Organization).where(Organization.slug == DEMO_SLUG)).first():
        return False
    org = create_organization(
        "Acme Talent",
        timezone="Europe/Berlin",
        postal_address="Acme Talent GmbH, Torstraße 1, 10119 Berlin, Germany",
        sender_name="Acme Talent",
        sender_email="jobs@acme.example",
        reply_to="recruiting@acme.example",
        sending_domain="acme.example",
    )
    org.slug = DEMO_SLUG
    org.brand.footer_text = "Acme Talent · We build things people love."
    user = find_user(admin_email) or create_user(admin_email, admin_password, name="Demo Admin")
    add_member(org, user, "owner")
    rng = random.Random(42)
    candidates = []
    for index in range(50):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        candidate = Candidate(
            org_id=org.id,
            email=f"{first}.{last}.{index}@candidates.example".lower(),
            first_name=first,
            last_name=last,
            timezone=ZONES[index % len(ZONES)],
            locale=rng.choice(["en", "en", "de", "fr"]),
            external_id=f"ATS-{1000 + index}",
        )
        candidates.append(candidate)
    db.session.add_all(candidates)
    jobs = [
        Job(
            org_id=org.id,
            title="Senior Backend Engineer",
            location="Berlin / Remote",
            department="Engineering",
        ),
        Job(org_id=org.id, title="Product Designer", location="Berlin", department="Design"),
        Job(org_id=org.id, title="Data Analyst", location="Remote (EU)", department="Data"),
    ]
    db.session.add_all(jobs)
    db.session.flush()
    shortlist = Shortlist(org_id=org.id, job_id=jobs[0].id, name="Backend — first round")
    db.session.add(shortlist)
    db.session.flush()
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    for index, candidate in enumerate(candidates[:12]):
        db.session.add(
            ShortlistEntry(
                org_id=org.id,
                shortlist_id=shortlist.id,
                candidate_id=candidate.id,
                interview_at=start + timedelta(hours=index),
                duration_minutes=45,
                video_url="https://meet.example/acme-backend",
            )
        )
    db.session.flush()
    return True
