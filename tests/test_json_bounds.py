"""Malformed JSON bodies get a 400/413 problem document, never a 500, on the API and on the
provider webhooks (which read the body before or without any authentication).

The corpus is written from the classes: nesting far deeper than any real payload, bodies over
the size limit, lone UTF-16 surrogates (valid JSON escapes that are not text), bytes that are
not UTF-8, numbers too long to convert, truncated documents and wrong content types.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.test_api_helpers import api  # noqa: F401 - fixture
from tests.test_provider_webhooks import configure
from webapp.extensions import db
from webapp.models import (
    Candidate,
    EmailTemplate,
    Job,
    Message,
    Suppression,
    WebhookEndpoint,
)
from webapp.services import json_body

DEEP = 10_000
HOSTILE_BODIES = {
    "arrays 10,000 deep": b"[" * DEEP + b"]" * DEEP,
    "objects 10,000 deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "unclosed arrays 10,000 deep": b"[" * DEEP,
    "mixed nesting 10,000 deep": b'{"a":[' * (DEEP // 2) + b"]}" * (DEEP // 2),
    "33 levels (one past the limit)": b'{"to":' + b"[" * 33 + b"]" * 33 + b"}",
    "lone high surrogate": b'{"to": "\\ud800"}',
    "lone low surrogate": b'{"to": "a\\udfffb"}',
    "lone surrogate in a key": b'{"\\ud800": "x"}',
    "lone surrogate deep inside": b'{"context": {"a": [{"b": "\\udbff"}]}}',
    "reversed surrogate pair": b'{"to": "\\udc00\\ud800"}',
    "invalid UTF-8": b'{"to": "\xff\xfe\xc3"}',
    "overlong UTF-8": b'{"to": "\xc0\xaf"}',
    "UTF-16 body": '{"to": "a@b.example"}'.encode("utf-16"),
    "NUL byte outside strings": b'{"to"\x00: "x"}',
    "truncated": b'{"to": "a@b.exam',
    "trailing garbage": b'{"to": "a@b.example"} x',
    "5,000-digit number": b'{"to": ' + b"9" * 5000 + b"}",
    "not JSON at all": b"<xml/>",
}


def is_problem(response, status: int) -> bool:
    return (
        response.status_code == status
        and response.mimetype == "application/problem+json"
        and response.get_json()["status"] == response.status_code
        and response.get_json()["title"]
    )


def test_the_parser_bounds_depth_size_and_text():
    assert json_body.parse(b'{"a": [1, {"b": "\\ud83d\\ude00"}]}') == {"a": [1, {"b": "😀"}]}
    assert json_body.parse("\ufeff[1]".encode()) == [1]
    for name, raw in HOSTILE_BODIES.items():
        with pytest.raises(json_body.BadJson) as caught:
            json_body.parse(raw)
        assert caught.value.status == 400, name
    with pytest.raises(json_body.BadJson) as caught:
        json_body.parse(b" " * 11, max_bytes=10)
    assert caught.value.status == 413


API_OPERATIONS = [
    ("POST", "/messages"),
    ("POST", "/messages/bulk"),
    ("POST", "/candidates"),
    ("POST", "/jobs"),
    ("POST", "/suppressions"),
    ("POST", "/templates"),
    ("POST", "/webhook-endpoints"),
    ("POST", "/shortlists"),
    ("POST", "/campaigns"),
]


@pytest.mark.parametrize(("method", "path"), API_OPERATIONS)
def test_hostile_api_bodies_are_problems_not_server_errors(api, method, path):  # noqa: F811
    for name, raw in HOSTILE_BODIES.items():
        response = api._call(method, path, data=raw, content_type="application/json")
        assert is_problem(response, 400), (name, response.status_code, response.data)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_bodies_over_the_limit_are_413_before_they_are_read(api):  # noqa: F811
    from webapp.api.framework import body_limit  # 8 MiB plus room for base64 attachments

    just_over = b'{"to": "' + b"a" * body_limit() + b'"}'
    response = api.post("/messages", data=just_over, content_type="application/json")
    assert is_problem(response, 413)
    hundred_mb = b"[" * (100 * 1024 * 1024)
    response = api.post("/candidates", data=hundred_mb, content_type="application/json")
    assert is_problem(response, 413)


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("text/plain", b'{"email": "x@acme.example"'),
        ("application/x-www-form-urlencoded", b"email=x%40acme.example"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\nx\r\n--xyz--',
        ),
        ("application/json; charset=utf-16", '{"email": "x@acme.example"}'.encode("utf-16")),
        ("application/xml", b"<email>x@acme.example</email>"),
        ("", b"\x00\x01\x02"),
    ],
)
def test_bodies_of_the_wrong_content_type_are_problems(api, content_type, raw):  # noqa: F811
    response = api._call("POST", "/candidates", data=raw, content_type=content_type)
    assert is_problem(response, 400), (response.status_code, response.data)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0


def valid_bodies(org) -> dict[str, dict]:
    return {
        "/candidates": {
            "email": "ada@acme.example",
            "external_id": "ats-1",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "timezone": "Europe/Paris",
            "locale": "fr",
            "attributes": {"team": "core"},
        },
        "/jobs": {"title": "Engineer", "location": "Paris", "department": "R&D"},
        "/suppressions": {"email": "ada@acme.example", "reason": "manual", "note": "asked"},
        "/webhook-endpoints": {"url": "https://hooks.acme.example/herald", "description": "x"},
        "/templates": {
            "name": "Hello",
            "subject": "Hi {{ candidate.first_name }}",
            "preheader": "Welcome",
            "body_mjml": "<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text>"
            "</mj-column></mj-section></mj-body></mjml>",
            "body_text": "Hi",
            "note": "first",
        },
        "/messages": {
            "to": "ada@acme.example",
            "to_name": "Ada",
            "subject": "Hello",
            "html": "<p>Hello</p>",
            "text": "Hello",
            "context": {"greeting": "hi"},
        },
    }


def string_paths(value, path=()):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_paths(item, (*path, key))


def with_value(body: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def test_lone_surrogates_in_every_string_field_are_refused_and_nothing_is_written(api, org):  # noqa: F811
    tables = (Candidate, Job, Suppression, WebhookEndpoint, EmailTemplate, Message)
    for path, body in valid_bodies(org).items():
        for field in string_paths(body):
            for bad in ("\ud800", "x\udfff", "\udc00\ud800"):
                raw = json.dumps(with_value(body, field, bad)).encode()  # ensure_ascii: \\ud800
                response = api.post(path, data=raw, content_type="application/json")
                assert is_problem(response, 400), (path, field, response.status_code)
                assert ".".join(field) in response.get_json()["detail"]
        assert api.post(path, json=body).status_code in (200, 201), path  # the body was valid
    counts = [db.session.scalar(select(func.count()).select_from(t)) for t in tables]
    assert counts == [1, 1, 1, 1, 1, 1]


WEBHOOK_PROVIDERS = {
    "mailgun": {"signing_key": "key-mailgun-test"},
    "ses": {"topic_arns": "arn:aws:sns:eu-west-1:1:t"},
    "sendgrid": {"public_key": "not-used-before-the-signature"},
    "postmark": {"username": "u", "password": "p"},
    "resend": {"signing_secret": "whsec_" + "A" * 32},
}


@pytest.mark.parametrize("provider", sorted(WEBHOOK_PROVIDERS))
def test_hostile_webhook_bodies_are_4xx_without_authentication(client, org, provider):
    url = configure(org, provider, **WEBHOOK_PROVIDERS[provider])
    for name, raw in HOSTILE_BODIES.items():
        response = client.post(url, data=raw, content_type="application/json")
        assert 400 <= response.status_code < 500, (name, response.status_code)
        if provider in ("mailgun", "ses"):  # parsed before any signature can be checked
            assert is_problem(response, 400), (name, response.status_code)
    too_big = b"[" * (6 * 1024 * 1024)
    response = client.post(url, data=too_big, content_type="application/json")
    assert response.status_code == 413


def test_mailgun_and_sns_bodies_of_the_wrong_shape_are_400(client, org):
    mailgun = configure(org, "mailgun", signing_key="key-mailgun-test")
    ses = configure(org, "ses", topic_arns="arn:aws:sns:eu-west-1:1:t")
    shapes = [b"[]", b'"x"', b"1", b"null", b'{"signature": []}', b'{"signature": "x"}']
    shapes += [b'{"signature": {"timestamp": [], "token": {}, "signature": 1}}']
    for raw in shapes:
        assert client.post(mailgun, data=raw).status_code in (400, 401), raw
        assert client.post(ses, data=raw).status_code in (400, 401, 403), raw
