"""Security headers on every answer, and an ``Allow`` header on every 405 (RFC 9110 15.5.6)."""

from __future__ import annotations

import uuid

import pytest

SAMPLE = {"uuid": str(uuid.uuid4()), "int": "1", "path": "x/y", "default": "x", "string": "x"}
PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _concrete(rule) -> str:
    values = {
        name: SAMPLE.get(type(converter).__name__.replace("Converter", "").lower(), "x")
        for name, converter in rule._converters.items()
    }
    return rule.build(values, append_unknown=False)[1]


def _probes(app):
    adapter = app.url_map.bind("localhost")
    seen = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _concrete(rule)
        if path in seen:
            continue
        seen.add(path)
        allowed = set(adapter.allowed_methods(path))
        for method in PROBE_METHODS:
            if method not in allowed:
                yield path, method, allowed
                break


def test_every_405_names_the_allowed_methods(app, logged_in):
    probes = list(_probes(app))
    assert len(probes) > 50  # dashboard, API, public and ops routes
    for path, method, allowed in probes:
        response = logged_in.open(path, method=method)
        assert response.status_code == 405, (method, path, response.status_code)
        listed = {part.strip() for part in response.headers.get("Allow", "").split(",")}
        assert listed == allowed, (method, path, response.headers.get("Allow"))


def test_api_and_dashboard_405_bodies_keep_their_kind(client):
    api = client.delete("/api/v1/openapi.json")
    assert api.status_code == 405 and api.mimetype == "application/problem+json"
    assert "GET" in api.headers["Allow"]
    page = client.put("/login")
    assert page.status_code == 405 and page.mimetype == "text/html"
    assert set(page.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    "path", ["/", "/messages/", "/settings/", "/healthz", "/api/v1/openapi.json"]
)
def test_pages_carry_a_strict_content_security_policy(logged_in, path):
    response = logged_in.get(path)
    assert response.status_code == 200
    policy = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in response.headers["Content-Security-Policy"].split(";")
    }
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"].startswith("'self'")
    assert policy["default-src"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_dashboard_template_holds_inline_script(app):
    from webapp.config import PROJECT_ROOT

    offenders = []
    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        source = template.read_text()
        for marker in (
            "<script>",
            " onclick=",
            " onsubmit=",
            " onfocus=",
            " onchange=",
            "javascript:",
        ):
            if marker in source:
                offenders.append(f"{template.name}: {marker.strip()}")
    assert offenders == []


def test_the_message_preview_may_be_framed_by_herald_only(logged_in, org):
    from tests.test_tracking_helpers import make_sent_message

    message = make_sent_message(org)
    response = logged_in.get(f"/messages/{message.id}/preview")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox") and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
