"""The API's frame: keys, scopes, rate limits, problem+json errors, the OpenAPI document."""

from __future__ import annotations

import re

from tests import test_api_helpers as helpers
from tests.test_api_helpers import Api, make_key
from webapp.extensions import db
from webapp.models import ApiKey, AuditLog
from webapp.services.accounts.api_keys import revoke

RAW_SEND = {"to": "ada@example.com", "subject": "Hello", "text": "Hi Ada"}

api = helpers.api  # fixture


def test_missing_or_wrong_key_is_401_problem(client, org):
    response = client.get("/api/v1/messages")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = Api(client, "hrld_not-a-real-key")
    assert wrong.get("/messages").status_code == 401
    basic = client.get("/api/v1/messages", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_revoked_key_stops_working_at_once(client, org):
    raw = make_key(org)
    api_client = Api(client, raw)
    assert api_client.get("/messages").status_code == 200
    revoke(db.session.scalars(db.select(ApiKey)).one())
    db.session.commit()
    assert api_client.get("/messages").status_code == 401


def test_key_is_stored_hashed_and_marks_last_use(client, org):
    raw = make_key(org)
    key = db.session.scalars(db.select(ApiKey)).one()
    assert raw not in (key.key_hash, key.prefix) and key.last_used_at is None
    Api(client, raw).get("/messages")
    db.session.refresh(key)
    assert key.last_used_at is not None


def test_scopes_are_enforced_per_route(client, org):
    reader = Api(client, make_key(org, scopes=["read"]))
    sender = Api(client, make_key(org, scopes=["send"]))
    refused = reader.post("/messages", json=RAW_SEND)
    assert refused.status_code == 403
    assert "'send' scope" in refused.json["detail"]
    assert sender.get("/messages").status_code == 403
    assert sender.post("/messages", json=RAW_SEND).status_code == 201
    assert reader.get("/messages").json["data"][0]["to"] == "ada@example.com"


def test_rate_limit_per_key_answers_429_with_retry_after(client, org):
    limited = Api(client, make_key(org, rate_limit_per_minute=3))
    other = Api(client, make_key(org))
    statuses = [limited.get("/messages").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = limited.get("/messages")
    assert refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert other.get("/messages").status_code == 200  # the budget is per key


def test_setting_limits_keys_without_their_own_limit(app, client, org):
    app.config["HERALD"].api_rate_limit = 2
    limited = Api(client, make_key(org))
    assert [limited.get("/messages").status_code for _ in range(3)] == [200, 200, 429]


def test_validation_errors_name_each_field(api):
    response = api.post("/messages", json={"to": "not an email", "subjekt": "x"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["title"] == "Invalid request" and body["status"] == 422
    messages = {error["field"]: error["message"] for error in body["errors"]}
    assert messages["to"] == "is not a valid email address"
    assert messages["subjekt"] == "is not a known field"


def test_body_that_is_not_json_is_400(api):
    response = api.post("/messages", data="to=ada", content_type="text/plain")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_unknown_route_and_method_are_problems(api):
    assert api.get("/nothing-here").mimetype == "application/problem+json"
    assert api.get("/nothing-here").status_code == 404
    wrong_method = api.delete("/messages")
    assert wrong_method.status_code == 405
    assert wrong_method.mimetype == "application/problem+json"


def test_openapi_document_is_built_from_the_routes(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    send = document["paths"]["/api/v1/messages"]["post"]
    assert send["requestBody"]["content"]["application/json"]["schema"]["required"] == ["to"]
    assert "422" in send["responses"] and "429" in send["responses"]
    assert "Scope: `send`" in send["description"]
    assert any(p["name"] == "Idempotency-Key" for p in send["parameters"])
    assert "Message" in document["components"]["schemas"]


def test_writes_through_the_api_are_audited_with_the_key_name(api, org):
    api.post("/templates", json={"name": "Hi", "subject": "Hi", "body_mjml": MJML})
    entry = db.session.scalars(db.select(AuditLog)).first()
    assert entry is not None and entry.actor_label.startswith("API key Test key")


MJML = (
    "<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text>"
    "</mj-column></mj-section></mj-body></mjml>"
)


def test_values_no_database_can_store_are_422_not_500(api):
    nul = api.post("/messages", json={"to": "ada@example.com", "subject": "a\x00b", "text": "x"})
    assert nul.status_code == 422 and nul.json["errors"][0]["field"] == "subject"
    nan = api.post(
        "/messages",
        data='{"to": "ada@example.com", "subject": "a", "text": "x", "context": {"n": NaN}}',
        content_type="application/json",
    )
    assert nan.status_code == 422 and nan.json["errors"][0]["field"] == "context.n"
    assert api.get("/messages/abc%00def").status_code == 404
    assert api.get("/messages?to=a%00b").status_code == 422


def test_every_api_route_is_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    documented = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, f"{method} {path} is not documented"
    for path, methods in paths.items():
        for method, operation in methods.items():
            assert "Scope: `" in operation["description"], f"{method} {path} has no scope"


def test_every_route_with_a_body_names_its_missing_fields(app, api):
    """An empty JSON object to any route that has required fields: 422 naming each of them."""
    from webapp.api.framework import REGISTRY

    checked = 0
    for op in REGISTRY:
        required = (op.body or {}).get("required") or []
        if not required:
            continue
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "00000000-0000-7000-8000-000000000000", op.rule)
        if "/preferences/" in path:
            path = path.replace("00000000-0000-7000-8000-000000000000", "ada@example.com")
        response = api._call(op.method, path, json={})
        if response.status_code == 404:
            continue  # the object is looked up first: unknown ids are 404 before validation
        assert response.status_code == 422, (op.method, path, response.json)
        fields = {error["field"] for error in response.json["errors"]}
        assert set(required) <= fields, (op.method, path, fields)
        checked += 1
    assert checked >= 10


def test_key_revoked_by_another_process_stops_working_on_the_next_request(client, org):
    from sqlalchemy import update

    from webapp.redis_client import get_redis
    from webapp.services.accounts.api_keys import EPOCH_KEY

    raw = make_key(org)
    api_client = Api(client, raw)
    assert api_client.get("/messages").status_code == 200  # now cached in this process
    # Another process revokes: it writes the row and bumps the revocation epoch.
    db.session.execute(update(ApiKey).values(revoked_at=db.func.now()))
    db.session.commit()
    get_redis().incr(EPOCH_KEY)
    assert api_client.get("/messages").status_code == 401
