"""Every time the dashboard shows is on the organization's clock and names its zone (issue 14,
item 9): an organization in America/New_York, everything stamped 2026-01-15 15:30 UTC, and
each page that shows a time says 10:30 EST -- never 15:30, never "UTC"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from tests.test_campaign_pages import running_campaign
from tests.test_templates_studio import create as create_template
from webapp.extensions import db
from webapp.models import (
    ApiKey,
    AuditLog,
    Campaign,
    EmailTemplate,
    ImportRun,
    Message,
    ProviderWebhookLog,
    SendingDomain,
    Suppression,
    TemplateVersion,
    WebhookDelivery,
    WebhookEndpoint,
)
from webapp.template_filters import in_zone

AT = datetime(2026, 1, 15, 15, 30, tzinfo=UTC)  # 10:30 in New York (EST, UTC-5)


@pytest.fixture
def stamped(logged_in, org, user):
    org.timezone = "America/New_York"
    org.bulk_paused_at, org.bulk_paused_reason = AT, "Complaints reached 0.3%."
    template = create_template(logged_in)
    campaign = running_campaign(org, count=1)
    endpoint = WebhookEndpoint(
        org_id=org.id, url="https://hooks.example/x", secret_encrypted="", is_enabled=False
    )
    db.session.add(endpoint)
    db.session.flush()
    run = ImportRun(org_id=org.id, filename="people.csv", status="completed")
    db.session.add_all(
        [
            run,
            ApiKey(org_id=org.id, name="ci", prefix="hrld_ab", key_hash="x" * 64, last_used_at=AT),
            AuditLog(org_id=org.id, action="brand.update", actor_user_id=user.id),
            Suppression(org_id=org.id, email="gone@example.com", reason="manual"),
            SendingDomain(org_id=org.id, domain="mail.acme.example", last_checked_at=AT),
            WebhookDelivery(
                org_id=org.id,
                endpoint_id=endpoint.id,
                event_id="e1",
                event_type="message.sent",
                next_attempt_at=AT,
            ),
            ProviderWebhookLog(org_id=org.id, provider="mailgun", verdict="accepted"),
        ]
    )
    db.session.flush()
    endpoint.disabled_at = AT
    for model in (ApiKey, AuditLog, Suppression, WebhookDelivery, ProviderWebhookLog):
        db.session.execute(update(model).where(model.org_id == org.id).values(created_at=AT))
    for model in (Campaign, ImportRun, TemplateVersion, Message):
        db.session.execute(update(model).where(model.org_id == org.id).values(created_at=AT))
    db.session.execute(
        update(Message).where(Message.org_id == org.id).values(status="scheduled", send_after=AT)
    )
    db.session.execute(update(EmailTemplate).values(updated_at=AT))
    db.session.commit()
    message = db.session.scalars(db.select(Message)).first()
    return {"template": template, "campaign": campaign, "run": run, "message": message}


def pages(stamped) -> dict[str, list[str]]:
    """Page → what it must show for the stamped moment."""
    return {
        "/": ["2026-01-15 10:30 EST"],
        "/settings/api-keys": ["created 2026-01-15", "2026-01-15 10:30 EST"],
        "/settings/members": [],
        "/settings/relays": [],
        "/settings/domains": ["since 2026-01-15 10:30 EST", "Last checked 2026-01-15 10:30 EST"],
        "/settings/webhooks": [
            "on 2026-01-15 10:30 EST",
            "2026-01-15 10:30:00 EST",
            "try 10:30:00 EST",
        ],
        "/settings/audit": ["When (America/New_York)", "2026-01-15 10:30 EST"],
        "/settings/suppressions": ["2026-01-15 10:30 EST"],
        "/settings/providers": ["2026-01-15 10:30:00 EST"],
        "/messages/": ["Dates are in America/New_York", "2026-01-15 10:30 EST"],
        f"/messages/{stamped['message'].id}": ["2026-01-15 10:30:00 EST"],
        "/campaigns/": ["15 Jan 2026 10:30 EST"],
        f"/campaigns/{stamped['campaign'].id}": ["10:30 EST"],
        f"/audience/imports/{stamped['run'].id}": ["Thu 15 Jan 2026, 10:30 EST"],
        "/templates/": ["2026-01-15 10:30 EST"],
        f"/templates/{stamped['template'].id}/versions": ["2026-01-15 10:30 EST"],
        "/stats/": ["America/New_York"],
        "/stats/queues": ["oldest due since 2026-01-15 10:30 EST"],
    }


def test_every_page_shows_times_in_the_organizations_zone_and_names_it(logged_in, stamped):
    for url, expected in pages(stamped).items():
        response = logged_in.get(url)
        assert response.status_code == 200, url
        page = re.sub(r'datetime="[^"]*"', "", response.get_data(as_text=True))  # for machines
        for text in expected:
            assert text in page, (url, text)
        assert "15:30" not in page, url  # the UTC wall clock
        assert "UTC" not in page, url


def test_the_zone_is_named_even_where_it_has_no_abbreviation(app):
    assert in_zone(AT, "Asia/Kolkata", "%H:%M") == "21:00 IST"
    assert in_zone(AT, "America/Sao_Paulo", "%H:%M") == "12:30 UTC-03"
    assert in_zone(AT, "Asia/Kathmandu", "%H:%M") == "21:15 UTC+05:45"
    assert in_zone(AT.replace(tzinfo=None), "Europe/Berlin", "%d %b %H:%M") == "15 Jan 16:30 CET"
    assert in_zone(AT, "Europe/Berlin", "%Y-%m-%d") == "2026-01-15"  # a date alone: no label
    assert in_zone(None, "Europe/Berlin") == ""


def test_a_user_sees_the_same_moment_move_with_the_organizations_zone(logged_in, org, stamped):
    org.timezone = "Europe/Berlin"
    db.session.commit()
    page = logged_in.get("/settings/audit").get_data(as_text=True)
    assert "2026-01-15 16:30 CET" in page and "When (Europe/Berlin)" in page


def test_the_recruiters_answer_email_gives_the_interview_in_the_organizations_zone(
    client, user, org
):
    from tests.test_responses import answer, invited, notices

    org.timezone = "America/New_York"
    entry, _ = invited(org, user, "ada@example.com", "Ada")
    entry.interview_at = AT
    db.session.commit()
    answer(client, entry, "accept")
    (notice,) = notices()
    assert "Thu 15 Jan 2026, 10:30 EST" in notice.raw_text and "UTC" not in notice.raw_text
