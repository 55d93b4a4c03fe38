"""/api/v1 campaigns, events and invitation tokens; suppressions, preferences, webhooks."""

from __future__ import annotations

from tests import test_api_helpers as helpers
from tests.support import factories
from tests.test_api_helpers import Api, make_key
from webapp.extensions import db
from webapp.models import (
    EmailTemplate,
    Message,
    Suppression,
    TemplateVersion,
    TriggerRule,
    WebhookEndpoint,
)
from webapp.services.interviews import links as interview_links

api = helpers.api  # fixture
other_api = helpers.other_api  # fixture

BODY = (
    "<mj-section><mj-column><mj-text>Hi {{ candidate.first_name }}</mj-text>"
    "</mj-column></mj-section>"
)


def _template(org, category="invitations"):
    template = EmailTemplate(org_id=org.id, name="Invite", type="invitation", category=category)
    db.session.add(template)
    db.session.flush()
    version = TemplateVersion(
        org_id=org.id, template_id=template.id, number=1, subject="Hello", body_mjml=BODY
    )
    db.session.add(version)
    db.session.flush()
    template.current_version_id = version.id
    db.session.commit()
    return template


def _shortlist(org, n=3):
    candidates = [factories.make_candidate(org) for _ in range(n)]
    shortlist = factories.make_shortlist(org, candidates=candidates)
    db.session.commit()
    return shortlist, candidates


def test_campaign_from_a_shortlist_starts_and_reports_progress(api, org):
    template = _template(org)
    shortlist, _ = _shortlist(org)
    response = api.post(
        "/campaigns",
        json={"template_id": str(template.id), "shortlist_id": str(shortlist.id), "name": "R1"},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "scheduled" and body["total_recipients"] == 3
    assert body["progress"]["total"] == 3
    got = api.get(f"/campaigns/{body['id']}").json
    assert got["name"] == "R1"
    assert [c["id"] for c in api.get("/campaigns").json["data"]] == [body["id"]]


def test_campaign_from_a_recipient_list_as_draft_then_cancel(api, org):
    template = _template(org)
    people = [factories.make_candidate(org) for _ in range(2)]
    db.session.commit()
    response = api.post(
        "/campaigns",
        json={
            "template_id": str(template.id),
            "candidate_ids": [str(p.id) for p in people],
            "start": False,
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["status"] == "draft" and response.json["total_recipients"] == 2
    pause = api.post(f"/campaigns/{response.json['id']}/pause")
    assert pause.status_code == 409
    canceled = api.post(f"/campaigns/{response.json['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    assert api.post(f"/campaigns/{response.json['id']}/cancel").status_code == 200  # idempotent


def test_campaign_pause_and_resume(api, org):
    template = _template(org)
    shortlist, _ = _shortlist(org, 2)
    created = api.post(
        "/campaigns",
        json={
            "template_id": str(template.id),
            "shortlist_id": str(shortlist.id),
            "schedule": {"mode": "at", "send_at": "2099-01-01T09:00:00Z"},
        },
    ).json
    paused = api.post(f"/campaigns/{created['id']}/pause")
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    resumed = api.post(f"/campaigns/{created['id']}/resume")
    assert resumed.status_code == 200 and resumed.json["status"] != "paused"


def test_campaign_validation_and_isolation(api, other_api, org, other_org):
    template = _template(org)
    foreign_template = _template(other_org)
    shortlist, _ = _shortlist(org)
    cases = [
        ({"template_id": str(template.id)}, "shortlist_id"),
        (
            {"template_id": str(foreign_template.id), "shortlist_id": str(shortlist.id)},
            "template_id",
        ),
        (
            {
                "template_id": str(template.id),
                "shortlist_id": str(shortlist.id),
                "schedule": {"mode": "at", "send_at": "2001-01-01T00:00:00Z"},
            },
            "schedule.send_at",
        ),
    ]
    for payload, field in cases:
        response = api.post("/campaigns", json=payload)
        assert response.status_code == 422, payload
        assert field in {e["field"] for e in response.json["errors"]}, response.json
    created = api.post(
        "/campaigns", json={"template_id": str(template.id), "shortlist_id": str(shortlist.id)}
    ).json
    assert other_api.get(f"/campaigns/{created['id']}").status_code == 404
    assert other_api.post(f"/campaigns/{created['id']}/cancel").status_code == 404


def test_campaign_refused_without_postal_address(api, org):
    org.postal_address = ""
    template = _template(org)
    shortlist, _ = _shortlist(org)
    response = api.post(
        "/campaigns", json={"template_id": str(template.id), "shortlist_id": str(shortlist.id)}
    )
    assert response.status_code == 422
    assert "postal address" in response.json["errors"][0]["message"]


def test_event_triggers_matching_rule(api, org):
    template = _template(org, category="updates")
    db.session.add(TriggerRule(org_id=org.id, event_type="application.received",
                               template_id=template.id))  # fmt: skip
    db.session.commit()
    response = api.post(
        "/events",
        json={"type": "application.received", "email": "ada@example.com", "data": {"job": "SRE"}},
    )
    assert response.status_code == 202, response.json
    assert response.json["matched_rules"] == 1
    message = db.session.get(
        Message, __import__("uuid").UUID(response.json["results"][0]["message_id"])
    )
    assert message.to_email == "ada@example.com"
    nothing = api.post("/events", json={"type": "unknown.event", "email": "ada@example.com"})
    assert nothing.status_code == 202 and nothing.json["matched_rules"] == 0
    bad = api.post("/events", json={"type": "application.received", "data": {}})
    assert bad.status_code == 422


def test_invitation_token_verification_is_per_organization(api, other_api, org):
    shortlist, _ = _shortlist(org, 1)
    entry = shortlist.entries[0]
    token = interview_links.invite_url(entry).rsplit("/", 1)[-1]
    mine = api.post("/invitations/verify", json={"token": token}).json
    assert mine["valid"] is True and mine["shortlist_entry_id"] == str(entry.id)
    assert other_api.post("/invitations/verify", json={"token": token}).json["valid"] is False
    assert api.post("/invitations/verify", json={"token": "forged"}).json["valid"] is False


def test_suppressions_add_list_delete(api, other_api):
    added = api.post("/suppressions", json={"email": "Ada@Example.com", "note": "asked by phone"})
    assert added.status_code == 201 and added.json["reason"] == "manual"
    assert api.post("/suppressions", json={"email": "ada@example.com"}).status_code == 200
    listed = api.get("/suppressions").json["data"]
    assert [s["email"] for s in listed] == ["ada@example.com"]
    assert other_api.get("/suppressions").json["data"] == []
    assert other_api.delete("/suppressions/ada@example.com").status_code == 404
    assert api.post("/suppressions", json={"email": "nope"}).status_code == 422
    assert api.delete("/suppressions/ada@example.com").status_code == 204
    assert db.session.scalars(db.select(Suppression)).first() is None


def test_preferences_get_and_update(api):
    prefs = api.get("/preferences/ada@example.com").json
    assert prefs["unsubscribed_all"] is False and prefs["opted_out_categories"] == []
    updated = api.put(
        "/preferences/ada@example.com", json={"subscribed_categories": ["invitations"]}
    )
    assert updated.status_code == 200
    assert "marketing" in updated.json["opted_out_categories"]
    everything_off = api.put("/preferences/ada@example.com", json={"subscribed_categories": []})
    assert everything_off.json["unsubscribed_all"] is True
    assert api.get("/preferences/not-an-email").status_code == 422


def test_webhook_endpoints_crud(api, other_api):
    created = api.post(
        "/webhook-endpoints",
        json={"url": "https://hooks.example.com/herald", "event_types": ["message.sent"]},
    )
    assert created.status_code == 201
    assert created.json["secret"]  # shown once
    endpoint_id = created.json["id"]
    got = api.get(f"/webhook-endpoints/{endpoint_id}").json
    assert "secret" not in got and got["event_types"] == ["message.sent"]
    assert other_api.get(f"/webhook-endpoints/{endpoint_id}").status_code == 404
    patched = api.patch(f"/webhook-endpoints/{endpoint_id}", json={"is_enabled": False})
    assert patched.json["is_enabled"] is False
    assert api.post("/webhook-endpoints", json={"url": "ftp://x.example.com/a"}).status_code == 422
    bad_event = api.post(
        "/webhook-endpoints", json={"url": "https://a.example.com", "event_types": ["nope"]}
    )
    assert bad_event.status_code == 422
    assert api.delete(f"/webhook-endpoints/{endpoint_id}").status_code == 204
    assert db.session.scalars(db.select(WebhookEndpoint)).first() is None


def test_scopes_on_these_routes(client, org):
    reader = Api(client, make_key(org, scopes=["read"]))
    assert reader.post("/suppressions", json={"email": "a@example.com"}).status_code == 403
    assert reader.get("/webhook-endpoints").status_code == 403
    assert reader.post("/events", json={"type": "x"}).status_code == 403
    assert reader.get("/suppressions").status_code == 200


def test_preferences_and_token_validation(api):
    unknown = api.put("/preferences/ada@example.com", json={"subscribed_categories": ["spam"]})
    assert unknown.status_code == 422
    assert unknown.json["errors"][0]["field"] == "subscribed_categories.0"
    assert api.post("/invitations/verify", json={}).status_code == 422
    assert api.post("/events", json={"type": ""}).status_code == 422
