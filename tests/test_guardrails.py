"""Deliverability guardrails (P8): complaint and hard-bounce rates pause bulk sending,
admins are told, an admin resumes."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from jobs.guardrails import check_sending_health
from webapp.extensions import db
from webapp.models import AuditLog, Message, Organization, StatRollup, utcnow
from webapp.services.sending import guardrails

NIL = uuid.UUID(int=0)


def counts(org, **metrics):
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    for metric, value in metrics.items():
        db.session.add(
            StatRollup(
                org_id=org.id,
                hour=hour,
                campaign_id=NIL,
                template_version_id=NIL,
                metric=metric,
                count=value,
            )
        )
    db.session.commit()


def test_complaints_at_three_per_thousand_pause_bulk_and_email_admins(app, org, user):
    counts(org, sent=1000, complained=3)
    assert check_sending_health() == 1
    org = db.session.get(Organization, org.id)
    assert org.bulk_paused_at is not None and "complaints" in org.bulk_paused_reason.lower()
    notice = db.session.scalars(select(Message).where(Message.kind == "notice")).one()
    assert notice.to_email == user.email and "paused" in notice.raw_subject
    assert db.session.scalars(select(AuditLog.action)).all() == ["sending.auto_pause"]
    assert check_sending_health() == 0, "already paused: no second email"


def test_warning_level_and_small_volume(app, org, other_org):
    counts(org, sent=1000, complained=1)
    counts(other_org, sent=20, complained=5)  # too few to judge
    assert check_sending_health() == 0
    assert guardrails.sending_health(org.id)["level"] == "warn"
    assert guardrails.sending_health(other_org.id)["level"] == "ok"


def test_hard_bounces_over_the_org_threshold_pause(app, org):
    org.bounce_rate_threshold = 0.02
    db.session.commit()
    counts(org, sent=500, bounced_hard=11)
    assert check_sending_health() == 1
    assert "bounces" in db.session.get(Organization, org.id).bulk_paused_reason.lower()


def test_admin_resumes_from_the_domains_page(logged_in, org):
    counts(org, sent=1000, complained=5)
    check_sending_health()
    page = logged_in.get("/settings/domains").get_data(as_text=True)
    assert "Bulk sending is paused" in page and "Resume bulk sending" in page
    response = logged_in.post("/settings/sending/resume", follow_redirects=True)
    assert "Bulk sending resumed" in response.get_data(as_text=True)
    org = db.session.get(Organization, org.id)
    assert org.bulk_paused_at is None
    assert check_sending_health() == 0, "old complaints do not pause again after a resume"
