"""/api/v1/messages: send (template, type, raw), idempotency, bulk, get, list, cancel, retry."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from tests import test_api_helpers as helpers
from tests.support import factories
from tests.test_api_helpers import Api, make_key
from webapp.extensions import db
from webapp.models import EmailTemplate, Message, TemplateVersion, utcnow

RAW = {"to": "Ada@Example.com", "to_name": "Ada", "subject": "Hello", "html": "<p>Hi</p>"}

api = helpers.api  # fixture
other_api = helpers.other_api  # fixture


def _template(org, *, type_="invitation", category="invitations"):
    template = EmailTemplate(org_id=org.id, name="Invite", type=type_, category=category)
    db.session.add(template)
    db.session.flush()
    version = TemplateVersion(
        org_id=org.id,
        template_id=template.id,
        number=1,
        subject="Hi {{ name|default('there') }}",
        body_mjml="x",
    )
    db.session.add(version)
    db.session.flush()
    template.current_version_id = version.id
    db.session.commit()
    return template


def test_raw_send_creates_a_queued_message(api, org):
    response = api.post("/messages", json=RAW)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "queued" and body["to"] == "ada@example.com"
    assert body["subject"] == "Hello" and body["category"] == "transactional"
    row = db.session.get(Message, uuid.UUID(body["id"]))
    assert row.org_id == org.id and row.raw_html == "<p>Hi</p>"


def test_send_by_template_id_uses_its_current_version(api, org):
    template = _template(org)
    response = api.post(
        "/messages",
        json={"to": "ada@example.com", "template_id": str(template.id), "context": {"name": "A"}},
    )
    assert response.status_code == 201, response.json
    assert response.json["template_version_id"] == str(template.current_version_id)
    assert response.json["category"] == "invitations" and response.json["kind"] == "invitation"


REMINDER_CONTEXT = {
    "candidate": {"first_name": "Ada"},
    "job": {"title": "Data Engineer"},
    "interview": {"at": "2030-01-31T09:00:00+00:00"},
    "invite_url": "https://ats.example.com/interviews/42",
}


def test_send_by_type_falls_back_to_the_system_default(api, org):
    response = api.post(
        "/messages",
        json={"to": "ada@example.com", "template_type": "reminder_2h", "context": REMINDER_CONTEXT},
    )
    assert response.status_code == 201
    assert response.json["kind"] == "reminder_2h" and response.json["template_id"] is None
    assert response.json["category"] == "reminders"  # the built-in template's category
    template = _template(org, type_="reminder_2h", category="reminders")
    again = api.post("/messages", json={"to": "ada@example.com", "template_type": "reminder_2h"})
    assert again.json["template_id"] == str(template.id)


def test_send_at_schedules_for_later(api):
    later = (utcnow() + timedelta(days=2)).isoformat()
    response = api.post("/messages", json={**RAW, "send_at": later})
    assert response.status_code == 201
    assert response.json["status"] == "scheduled" and response.json["queued_at"] is None


def test_send_validation_errors(api, other_org):
    foreign = _template(other_org)
    cases = [
        ({"to": "ada@example.com"}, "template_id"),
        ({**RAW, "template_type": "invitation"}, "template_id"),
        ({"to": "ada@example.com", "subject": "Hi"}, "html"),
        ({"to": "ada@example.com", "template_id": str(foreign.id)}, "template_id"),
        ({**RAW, "send_at": "2030-01-01T09:00:00"}, "send_at"),
        ({**RAW, "category": "spam"}, "category"),
        ({**RAW, "to": "ada@@example.com"}, "to"),
        ({"subject": "x", "text": "y"}, "to"),
    ]
    for payload, field in cases:
        response = api.post("/messages", json=payload)
        assert response.status_code == 422, payload
        assert field in {error["field"] for error in response.json["errors"]}, response.json
    assert db.session.scalars(db.select(Message)).first() is None


def test_idempotency_same_key_same_body_gives_one_message(api):
    headers = {"Idempotency-Key": "order-42"}
    first = api.post("/messages", json=RAW, headers=headers)
    second = api.post("/messages", json=RAW, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(db.session.scalars(db.select(Message)).all()) == 1


def test_idempotency_same_key_other_body_is_refused(api):
    headers = {"Idempotency-Key": "order-43"}
    assert api.post("/messages", json=RAW, headers=headers).status_code == 201
    other = api.post("/messages", json={**RAW, "subject": "Changed"}, headers=headers)
    assert other.status_code == 422
    assert "different request" in other.json["detail"]
    assert len(db.session.scalars(db.select(Message)).all()) == 1


def test_idempotency_keys_are_per_organization(api, other_api):
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/messages", json=RAW, headers=headers)
    theirs = other_api.post("/messages", json=RAW, headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json["id"] != theirs.json["id"]


def test_failed_request_does_not_burn_the_key(api):
    headers = {"Idempotency-Key": "retry-me"}
    assert api.post("/messages", json={"to": "bad"}, headers=headers).status_code == 422
    assert api.post("/messages", json=RAW, headers=headers).status_code == 201


def test_bulk_send_reports_each_item(api):
    items = [RAW, {"to": "nope"}, {**RAW, "to": "bob@example.com"}, {"to": "c@example.com"}]
    response = api.post("/messages/bulk", json={"messages": items})
    assert response.status_code == 200
    body = response.json
    assert (body["accepted"], body["rejected"]) == (2, 2)
    assert [r["status"] for r in body["results"]] == [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert body["results"][1]["errors"][0]["field"] == "to"
    assert len(db.session.scalars(db.select(Message)).all()) == 2


def test_bulk_send_refuses_more_than_1000(api):
    response = api.post("/messages/bulk", json={"messages": [RAW] * 1001})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "messages"


def test_get_message_and_isolation(api, other_api):
    created = api.post("/messages", json=RAW).json
    assert api.get(f"/messages/{created['id']}").json["id"] == created["id"]
    assert other_api.get(f"/messages/{created['id']}").status_code == 404
    assert other_api.post(f"/messages/{created['id']}/cancel").status_code == 404
    assert api.get("/messages/not-a-uuid").status_code == 404


def test_list_filters_and_cursor_pagination(api, other_api):
    for index in range(5):
        api.post("/messages", json={**RAW, "to": f"p{index}@example.com"})
    other_api.post("/messages", json=RAW)
    first = api.get("/messages?limit=2").json
    assert [m["to"] for m in first["data"]] == ["p4@example.com", "p3@example.com"]
    second = api.get(f"/messages?limit=2&cursor={first['next_cursor']}").json
    third = api.get(f"/messages?limit=2&cursor={second['next_cursor']}").json
    assert [m["to"] for m in second["data"] + third["data"]] == [
        "p2@example.com",
        "p1@example.com",
        "p0@example.com",
    ]
    assert third["next_cursor"] is None
    assert [m["to"] for m in api.get("/messages?to=P1@example.com").json["data"]] == [
        "p1@example.com"
    ]
    assert api.get("/messages?status=sent").json["data"] == []
    bad = api.get("/messages?limit=1000&cursor=%%%")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} >= {"limit"}


def test_cancel_then_retry(api, org):
    later = (utcnow() + timedelta(hours=3)).isoformat()
    created = api.post("/messages", json={**RAW, "send_at": later}).json
    canceled = api.post(f"/messages/{created['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    again = api.post(f"/messages/{created['id']}/cancel")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert api.post(f"/messages/{created['id']}/retry").status_code == 409
    failed = api.post("/messages", json=RAW).json
    row = db.session.get(Message, uuid.UUID(failed["id"]))
    row.status, row.last_error = "failed", "550 mailbox full"
    db.session.commit()
    retried = api.post(f"/messages/{failed['id']}/retry")
    assert retried.status_code == 200 and retried.json["status"] == "queued"
    assert api.post(f"/messages/{failed['id']}/retry").status_code == 409


def test_candidate_id_must_belong_to_the_organization(api, org, other_org):
    mine = factories.make_candidate(org)
    theirs = factories.make_candidate(other_org)
    db.session.commit()
    ok = api.post("/messages", json={**RAW, "candidate_id": str(mine.id)})
    assert ok.status_code == 201 and ok.json["candidate_id"] == str(mine.id)
    refused = api.post("/messages", json={**RAW, "candidate_id": str(theirs.id)})
    assert refused.status_code == 422


def test_send_needs_the_send_scope(client, org):
    reader = Api(client, make_key(org, scopes=["read"]))
    assert reader.post("/messages/bulk", json={"messages": [RAW]}).status_code == 403
    assert reader.post("/messages", json=RAW).status_code == 403


def test_concurrent_requests_with_one_key_create_one_message(app, api):
    """Two identical requests racing: one wins, the other answers with the winner's result."""
    barrier = threading.Barrier(4)
    results: list[tuple[int, str]] = []

    def post():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/messages",
            json=RAW,
            headers={"Authorization": f"Bearer {api.raw_key}", "Idempotency-Key": "race-1"},
        )
        results.append((response.status_code, response.get_json().get("id", "")))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in results] == [201] * 4, results
    assert len({message_id for _, message_id in results}) == 1
    db.session.expire_all()
    assert len(db.session.scalars(db.select(Message)).all()) == 1


def test_redis_down_still_accepts_and_keeps_the_message(app, api, caplog):
    """Redis is transport: with it down the key is not rate limited (fails open) and the
    message is committed; the dispatcher enqueues it when Redis is back (REQUIREMENTS Q6)."""
    from webapp.redis_client import connect

    live = app.extensions["herald.redis"]
    app.extensions["herald.redis"] = connect("redis://127.0.0.1:1/0", timeout=0.5)  # refused
    try:
        response = api.post("/messages", json=RAW)
    finally:
        app.extensions["herald.redis"] = live
    assert response.status_code == 201
    row = db.session.get(Message, uuid.UUID(response.json["id"]))
    assert row is not None and row.status == "queued"
    assert "rate limiter unavailable" in caplog.text
