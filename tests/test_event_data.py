"""An automation email uses the event's data (issue 14, item 4), walked as the user did: a
template printing ``candidate.first_name``, ``job.title`` and ``event.reference`` is saved
through the API (the validator accepts the event's names), previewed with the sample event,
tied to ``application.received`` in Settings → Automations; ``POST /api/v1/events`` with the
person and the job in ``data``; a real worker sends it and the received email carries them."""

from __future__ import annotations

import email

from tests.support import factories
from tests.test_api_helpers import Api, make_key
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.services.queues import BULK, TRANSACTIONAL

BODY = (
    "<mj-section><mj-column><mj-text>Hi {{ candidate.first_name }}, thanks for applying to "
    "{{ job.title }}.</mj-text><mj-text>Your reference: {{ event.reference }} "
    "({{ event.job.title }}, {{ event.type }})</mj-text></mj-column></mj-section>"
)
EVENT = {
    "type": "application.received",
    "email": "grace@example.com",
    "data": {
        "candidate": {"first_name": "Grace", "last_name": "Hopper"},
        "job": {"title": "Compiler Engineer"},
        "reference": "APP-7",
    },
}


def _text(raw: bytes) -> tuple[str, str]:
    parsed = email.message_from_bytes(raw)
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            return parsed["To"], part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def _template(api) -> str:
    response = api.post(
        "/templates",
        json={
            "name": "Application received",
            "type": "custom",
            "category": "transactional",
            "subject": "Thanks, {{ candidate.first_name }}: {{ event.job.title }}",
            "body_mjml": BODY,
        },
    )
    assert response.status_code == 201, response.json  # the validator knows event.*
    return response.json["id"]


def test_event_data_reaches_the_automation_email(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    logged_in,
    org,
):
    api = Api(client, make_key(org))
    template_id = _template(api)

    preview = api.post(f"/templates/{template_id}/preview", json={})
    assert preview.status_code == 200, preview.json
    assert "Hi Ada, thanks for applying to Backend Engineer." in preview.json["text"]
    assert "APP-1042 (Backend Engineer, application.received)" in preview.json["text"]

    saved = logged_in.post(
        "/settings/automations",
        data={"event_type": "application.received", "template_id": template_id},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)

    response = api.post("/events", json=EVENT)
    assert response.status_code == 202 and response.json["matched_rules"] == 1, response.json
    run_burst(worker_env, TRANSACTIONAL, BULK)

    assert len(smtp_server.received) == 1
    to, text = _text(smtp_server.received[0].data)
    assert "Grace Hopper" in to
    assert "Hi Grace, thanks for applying to Compiler Engineer." in text
    assert "Your reference: APP-7 (Compiler Engineer, application.received)" in text


def test_the_candidates_own_record_wins_and_the_event_fills_the_gaps(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    logged_in,
    org,
):
    factories.make_candidate(org, "grace@example.com", first_name="Amazing", last_name="")
    db.session.commit()
    api = Api(client, make_key(org))
    template_id = _template(api)
    logged_in.post(
        "/settings/automations",
        data={"event_type": "application.received", "template_id": template_id},
    )
    assert api.post("/events", json=EVENT).status_code == 202
    run_burst(worker_env, TRANSACTIONAL, BULK)
    _, text = _text(smtp_server.received[0].data)
    assert "Hi Amazing, thanks for applying to Compiler Engineer." in text
