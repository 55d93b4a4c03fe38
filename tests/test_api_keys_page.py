"""Settings → API keys (create shown once, list, revoke) and the API reference page."""

from __future__ import annotations

import re

import pytest

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.test_api_helpers import Api
from webapp.extensions import db
from webapp.models import ApiKey, AuditLog
from webapp.services.accounts.api_keys import create_api_key


def _created_key(html: str) -> str:
    match = re.search(r'id="new-key">(hrld_[^<]+)<', html)
    assert match, "the new key is shown on the page"
    return match.group(1)


def test_create_key_is_shown_once_and_works(logged_in, client, org):
    page = logged_in.get("/settings/api-keys")
    assert page.status_code == 200 and "No API keys yet" in page.get_data(as_text=True)
    created = logged_in.post(
        "/settings/api-keys", data={"name": "ATS sync", "scopes": ["read", "send"]}
    )
    assert created.status_code == 201
    raw = _created_key(created.get_data(as_text=True))
    key = db.session.scalars(db.select(ApiKey)).one()
    assert key.key_hash != raw and key.scopes == ["read", "send"] and key.org_id == org.id
    assert Api(client, raw).get("/messages").status_code == 200
    listing = logged_in.get("/settings/api-keys").get_data(as_text=True)
    assert "ATS sync" in listing and key.prefix in listing and raw not in listing
    audit = db.session.scalars(db.select(AuditLog)).one()
    assert audit.action == "api_key.create" and raw not in str(audit.details)


def test_create_key_errors_are_shown_next_to_the_field(logged_in):
    response = logged_in.post("/settings/api-keys", data={"name": "Kept name", "scopes": []})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose at least one scope." in html and 'value="Kept name"' in html
    assert db.session.scalars(db.select(ApiKey)).first() is None


def test_revoke_key(logged_in, client, org):
    created = logged_in.post("/settings/api-keys", data={"name": "Old", "scopes": ["read"]})
    raw = _created_key(created.get_data(as_text=True))
    key = db.session.scalars(db.select(ApiKey)).one()
    response = logged_in.post(f"/settings/api-keys/{key.id}/revoke", follow_redirects=True)
    assert "revoked" in response.get_data(as_text=True)
    assert Api(client, raw).get("/messages").status_code == 401
    assert "api_key.revoke" in {entry.action for entry in db.session.scalars(db.select(AuditLog))}


def test_only_admins_manage_keys_and_other_orgs_keys_are_404(client, org, other_org, login_as):
    viewer = factories.make_user("viewer@example.com", org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    assert client.get("/settings/api-keys").status_code == 200
    refused = client.post("/settings/api-keys", data={"name": "x", "scopes": ["read"]})
    assert refused.status_code == 403
    admin = factories.make_user("admin@example.com", org=org, role="admin")
    foreign, _raw = create_api_key(other_org.id, "theirs", ["read"])
    db.session.commit()
    client.post("/logout")
    login_as(admin, org=org)
    assert client.post(f"/settings/api-keys/{foreign.id}/revoke").status_code == 404
    db.session.refresh(foreign)
    assert foreign.revoked_at is None


def test_api_reference_page_lists_every_route(logged_in):
    html = logged_in.get("/settings/api-docs").get_data(as_text=True)
    assert "/api/v1/messages/{message_id}/cancel" in html
    assert "Send up to 1,000 messages" in html
    assert "Idempotency-Key" in html


@pytest.mark.browser
def test_api_keys_page_in_a_browser(page, live_server, user, org):
    browser_login(page, live_server, user.email, factories.PASSWORD)
    base = live_server.url
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/settings/api-keys")
        if width == 1280:
            page.fill("#name", "Greenhouse sync")
            page.click("form.api-key-form button.primary")
            assert page.locator("#new-key").inner_text().startswith("hrld_")
        screenshot(page, f"api-keys-{width}")
        page.goto(f"{base}/settings/api-docs")
        page.locator("details.api-op summary").first.click()
        screenshot(page, f"api-docs-{width}")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width + 1, "no sideways scrolling"
