"""Every send example in the README, docs/*.md and the API reference page sends a complete
email (issue 14, item 3): each curl command is run against the API as written, a real worker
sends what it created to a real SMTP server, and each received email has no blank where a
value belongs ("Interview for  at Acme Talent", "Hi ,") and no link without an address. A
template send that leaves a needed value empty is refused with 422 naming each one."""

from __future__ import annotations

import email
import html
import json
import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select, update

from jobs.sending import dispatch_due
from tests.test_api_helpers import Api, make_key
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.config import PROJECT_ROOT
from webapp.extensions import db
from webapp.models import Message, utcnow
from webapp.services.queues import BULK, TRANSACTIONAL

CURL = re.compile(
    r"curl\b(?P<args>[^']*?)-X (?P<method>POST|PUT) \"?(?:\$HERALD|\S*/api/v1)(?P<path>/[^\s\"]+)"
    r"\"?(?P<rest>[^']*?)-d '(?P<body>[^']*)'",
    re.DOTALL,
)
# a value left out: "Hi , thanks", "for  at", "( )"; a space before : ; ! ? is French typography
BLANK = re.compile(r"\S {2,}\S| [,.](?:\s|$)|\(\s*\)|\bfor\s+at\b")
EMPTY_LINK = re.compile(r"""href\s*=\s*(["'])\s*\1""", re.IGNORECASE)


def _doc_texts(logged_in) -> list[tuple[str, str]]:
    texts = [("README.md", (PROJECT_ROOT / "README.md").read_text())]
    texts += [(p.name, p.read_text()) for p in sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    page = logged_in.get("/settings/api-docs").get_data(as_text=True)
    texts += [("API reference", html.unescape(page))]
    return texts


def send_examples(texts) -> list[tuple[str, str, dict]]:
    found = []
    for name, text in texts:
        for match in CURL.finditer(text.replace("\\\n", " ")):
            path = match.group("path")
            if path in ("/messages", "/messages/bulk"):
                found.append((name, path, json.loads(match.group("body"))))
    return found


def _parts(raw: bytes) -> tuple[str, str, str]:
    parsed = email.message_from_bytes(raw)
    subject = str(make_header(decode_header(parsed["Subject"])))
    text = html_part = ""
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html_part = part.get_payload(decode=True).decode()
    return subject, text, html_part


def blanks(raw: bytes) -> list[str]:
    """What a reader would see as a hole: a value left out of a sentence, an empty link."""
    subject, text, html_part = _parts(raw)
    holes = [f"subject: {subject!r}"] if BLANK.search(subject) else []
    for line in text.splitlines():
        if BLANK.search(line.strip()):
            holes.append(f"text: {line.strip()!r}")
    holes += [f"html: {m.group(0)}" for m in EMPTY_LINK.finditer(html_part)]
    return holes


def test_the_docs_have_send_examples(logged_in):
    examples = send_examples(_doc_texts(logged_in))
    sources = {name for name, _, _ in examples}
    assert {"README.md", "api.md", "API reference"} <= sources, sources
    assert any(body.get("template_type") for _, _, body in examples)


def test_every_send_example_in_the_docs_sends_a_complete_email(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    logged_in,
    org,
):
    api = Api(client, make_key(org))
    examples = send_examples(_doc_texts(logged_in))
    created = 0
    for name, path, body in examples:
        response = api.post(path, json=body)
        assert response.status_code in (200, 201), (name, body, response.json)
        results = response.json.get("results", [response.json])
        created += sum(1 for r in results if r.get("status") != "rejected")
    # scheduled examples (send_at) are made due now, as if their time had come
    db.session.execute(update(Message).values(send_after=utcnow()))
    db.session.commit()
    dispatch_due()
    run_burst(worker_env, TRANSACTIONAL, BULK)

    statuses = db.session.scalars(select(Message.status)).all()
    assert statuses and set(statuses) == {"sent"}, statuses
    assert len(smtp_server.received) == created
    for received in smtp_server.received:
        assert blanks(received.data) == [], _parts(received.data)[0]


def test_the_api_reference_example_as_it_was_is_refused_with_the_missing_values(client, org):
    api = Api(client, make_key(org))
    response = api.post(
        "/messages",
        json={
            "to": "ada@example.com",
            "template_type": "invitation",
            "context": {"first_name": "Ada"},
        },
    )
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json["errors"]}
    assert {"context.job.title", "context.invite_url", "context.candidate.first_name"} <= set(
        fields
    )
    assert "to_name" in fields["context.candidate.first_name"]
    assert db.session.scalars(select(Message)).all() == []


@pytest.mark.parametrize(
    ("subject", "status"),
    [
        ("Interview for {{ job.title }}", 422),
        ("Interview for {{ job.title|default('the role') }}", 201),
        ("Interview{% if job.title %} for {{ job.title }}{% endif %}", 201),
    ],
)
def test_a_template_default_or_condition_lets_a_value_be_absent(client, org, subject, status):
    api = Api(client, make_key(org))
    template = api.post(
        "/templates",
        json={
            "name": "Note",
            "type": "custom",
            "category": "updates",
            "subject": subject,
            "body_mjml": "<mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section>",
        },
    )
    assert template.status_code == 201, template.json
    response = api.post(
        "/messages", json={"to": "ada@example.com", "template_id": template.json["id"]}
    )
    assert response.status_code == status, response.json
