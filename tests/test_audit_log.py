"""The audit log: audited actions done through the dashboard are recorded with who did them,
and the settings page lists them, filterable by action area, person and day."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import ApiKey, AuditLog, Membership, User
from webapp.services import audit


def _actions(org) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditLog.action).where(AuditLog.org_id == org.id).order_by(AuditLog.created_at)
        )
    )


def test_settings_member_and_api_key_changes_are_recorded(org, user, logged_in):
    saved = logged_in.post(
        "/settings/",
        data={
            "name": "Acme Talent GmbH",
            "timezone": "Europe/Berlin",
            "postal_address": "1 Main Street",
            "sender_name": "Acme",
            "sender_email": "jobs@example.com",
            "reminder_offsets": "24, 2",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert (
        logged_in.post(
            "/settings/members/invite", data={"email": "new@example.com", "role": "editor"}
        ).status_code
        == 302
    )
    new_user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == new_user.id))
    logged_in.post(f"/settings/members/{membership.id}/role", data={"role": "viewer"})
    logged_in.post(f"/settings/members/{membership.id}/remove")
    created = logged_in.post("/settings/api-keys", data={"name": "ATS sync", "scopes": ["send"]})
    assert created.status_code in (200, 201, 302)
    key = db.session.scalar(select(ApiKey).where(ApiKey.org_id == org.id))
    logged_in.post(f"/settings/api-keys/{key.id}/revoke")

    db.session.expire_all()
    assert _actions(org) == [
        "settings.update",
        "member.invite",
        "member.role",
        "member.remove",
        "api_key.create",
        "api_key.revoke",
    ]
    entries = db.session.scalars(select(AuditLog).where(AuditLog.org_id == org.id)).all()
    assert {entry.actor_user_id for entry in entries} == {user.id}

    html = logged_in.get("/settings/audit").get_data(as_text=True)
    for action in ("settings.update", "member.role", "api_key.revoke"):
        assert f'data-action="{action}"' in html


def _entry(org, action, at, actor=None, **details):
    entry = audit.record(
        org.id,
        action,
        actor_user_id=actor.id if actor else None,
        actor_label=actor.email if actor else "api key ab12…",
        target_type=action.split(".")[0],
        target_id="t-" + action,
        details=details,
    )
    entry.created_at = at
    return entry


def test_page_filters_by_area_person_and_day(org, other_org, user, logged_in):
    editor = factories.make_user("editor@example.com", org=org, role="editor")
    _entry(org, "campaign.send", datetime(2026, 3, 1, 10, tzinfo=UTC), user, recipients=40)
    _entry(org, "campaign.pause", datetime(2026, 3, 2, 10, tzinfo=UTC), editor)
    _entry(org, "campaign.cancel", datetime(2026, 3, 3, 10, tzinfo=UTC), user)
    _entry(org, "template.update", datetime(2026, 3, 3, 11, tzinfo=UTC), editor, version=4)
    _entry(org, "brand.update", datetime(2026, 3, 3, 12, tzinfo=UTC))
    _entry(other_org, "campaign.send", datetime(2026, 3, 3, 12, tzinfo=UTC), user)
    db.session.commit()

    def shown(query: str = "") -> list[str]:
        html = logged_in.get("/settings/audit" + query).get_data(as_text=True)
        return [part.split('"')[0] for part in html.split('data-action="')[1:]]

    assert shown() == [
        "brand.update",
        "template.update",
        "campaign.cancel",
        "campaign.pause",
        "campaign.send",
    ]
    assert shown("?action=campaign") == ["campaign.cancel", "campaign.pause", "campaign.send"]
    assert shown("?action=campaign.pause") == ["campaign.pause"]
    assert shown(f"?actor={editor.id}") == ["template.update", "campaign.pause"]
    assert shown("?start=2026-03-02&end=2026-03-02") == ["campaign.pause"]
    html = logged_in.get("/settings/audit").get_data(as_text=True)
    assert "recipients: 40" in html and "api key ab12…" in html
    assert "All campaign actions" in html  # the action filter offers areas


def test_bad_dates_are_explained_next_to_the_field(org, logged_in):
    html = logged_in.get("/settings/audit?start=2026-03-05&end=2026-03-01").get_data(as_text=True)
    assert 'id="date-error"' in html and "The end date is before the start date." in html


def test_empty_log_says_what_will_appear(org, logged_in):
    html = logged_in.get("/settings/audit").get_data(as_text=True)
    assert "Nothing recorded yet" in html


def test_campaign_and_brand_actions_show_who_did_them(org, user, logged_in):
    from webapp.models import Campaign
    from webapp.services.campaigns import run as campaign_run
    from webapp.services.templates.library import update_brand

    campaign = Campaign(org_id=org.id, name="Spring interviews", status="running")
    db.session.add(campaign)
    db.session.flush()
    actor = {"actor_user_id": user.id, "actor_label": user.email}
    assert campaign_run.pause(campaign, **actor)
    assert campaign_run.cancel(campaign, **actor) == 0
    brand = {
        "logo_url": "",
        "primary_color": "#123456",
        "text_color": "#111111",
        "background_color": "#ffffff",
        "font_family": "Georgia, serif",
        "footer_text": "Acme",
        "postal_address": "1 Main Street",
        "sender_name": "Acme",
    }
    update_brand(org, brand, user_id=user.id, actor_label=user.email)
    db.session.commit()

    assert _actions(org) == ["campaign.pause", "campaign.cancel", "brand.update"]
    html = logged_in.get("/settings/audit?action=campaign").get_data(as_text=True)
    assert 'data-action="campaign.cancel"' in html and 'data-action="brand.update"' not in html
    assert "Test User" in html  # the person, by name
