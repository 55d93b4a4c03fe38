"""Locales in, validated and normalized: the candidate API, API sends and the CSV import; and
the language an API send goes out in, through a real worker and SMTP server."""

from __future__ import annotations

import email
from email import policy

from sqlalchemy import select

from tests import test_api_helpers as helpers
from tests.test_import import upload
from tests.test_template_translations import FRENCH, translate
from tests.test_templates_studio import create
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Candidate, ImportRun

api = helpers.api  # fixture


def test_candidate_locale_is_normalized_or_refused_with_its_field(api):
    created = api.post("/candidates", json={"email": "claire@example.com", "locale": "fr_ca"})
    assert created.status_code == 201 and created.json["locale"] == "fr-CA"
    updated = api.post("/candidates", json={"email": "claire@example.com", "locale": "PT-br"})
    assert updated.status_code == 200 and updated.json["locale"] == "pt-BR"
    refused = api.post("/candidates", json={"email": "claire@example.com", "locale": "xx_YY123"})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "locale"
    assert "xx_YY123" in refused.json["errors"][0]["message"]
    assert api.get(f"/candidates/{created.json['id']}").json["locale"] == "pt-BR"  # kept


def test_a_send_with_an_unknown_locale_is_refused_with_its_field(api):
    raw = {"to": "a@example.com", "subject": "Hi", "text": "Hello"}
    refused = api.post("/messages", json={**raw, "locale": "klingon-42-x"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["locale"]
    bulk = api.post("/messages/bulk", json={"messages": [{**raw, "locale": "zz"}, raw]})
    results = bulk.json["results"]
    assert results[0]["status"] == "rejected" and results[0]["errors"][0]["field"] == "locale"
    assert results[1]["status"] == "accepted"


def test_api_sends_go_out_in_the_locale_given_or_the_candidates(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    api,
    org,
):
    template = create(logged_in)
    translate(logged_in, template, "fr", FRENCH)
    context = {"job": {"title": "Backend Engineer"}, "invite_url": "https://example.com/i"}
    person = api.post("/candidates", json={"email": "luc@example.com", "locale": "fr-BE"}).json
    sends = [
        {"to": "given@example.com", "locale": "fr-CA"},
        {"to": "luc@example.com", "candidate_id": person["id"]},
        {"to": "nobody@example.com"},
    ]
    ids = {}
    for spec in sends:
        body = {**spec, "template_id": str(template.id), "context": context, "to_name": "Sam"}
        response = api.post("/messages", json=body)
        assert response.status_code == 201, response.json
        assert response.json["language"] is None  # not sent yet
        ids[spec["to"]] = response.json["id"]
    run_burst(worker_env)
    received = {}
    for item in smtp_server.received:
        parsed = email.message_from_bytes(item.data, policy=policy.default)
        received[item.rcpt_tos[0]] = (
            str(parsed["Subject"]),
            parsed.get_body(("html",)).get_content(),
        )
    for address, language in (("given@example.com", "fr"), ("luc@example.com", "fr")):
        subject, html = received[address]
        assert subject == "Entretien pour Backend Engineer" and f'<html lang="{language}"' in html
        assert api.get(f"/messages/{ids[address]}").json["language"] == "fr"
    subject, html = received["nobody@example.com"]
    assert subject == "Interview for Backend Engineer" and '<html lang="en" dir="ltr"' in html
    assert api.get(f"/messages/{ids['nobody@example.com']}").json["language"] == "en"


def test_csv_import_checks_the_locale_column_row_by_row(logged_in, org):
    text = (
        "email,first_name,Language\n"
        "claire@example.com,Claire,fr_CA\n"
        "bad@example.com,Bad,xx_YY123\n"
        "amal@example.com,Amal,ar\n"
        "plain@example.com,Plain,\n"
    )
    response = upload(logged_in, text)
    run = db.session.scalars(select(ImportRun)).one()
    mapping = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert '<option value="Language" selected>' in mapping  # the locale column, guessed
    response = logged_in.post(
        f"/audience/imports/{run.id}/map",
        data={"email": "email", "first_name": "first_name", "locale": "Language"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.status == "completed" and run.created_count == 3
    assert [(item["row"], item["reason"]) for item in run.rejected] == [
        (3, "Language: “xx_YY123” is not a language Herald knows (use a tag such as fr, de or "
         "pt-BR).")
    ]  # fmt: skip
    stored = dict(db.session.execute(select(Candidate.email, Candidate.locale)).all())
    assert stored == {"claire@example.com": "fr-CA", "amal@example.com": "ar",
                      "plain@example.com": "en"}  # fmt: skip
    page = logged_in.get(f"/audience/imports/{run.id}").get_data(as_text=True)
    assert "is not a language Herald knows" in page


def test_the_organizations_default_language_is_set_in_settings(logged_in, org):
    data = {"name": org.name, "timezone": "UTC", "reminder_offsets": "24, 2",
            "postal_address": org.postal_address}  # fmt: skip
    refused = logged_in.post("/settings/", data={**data, "locale": "xx_YY123"})
    assert refused.status_code == 200 and "is not a language Herald knows" in refused.text
    saved = logged_in.post("/settings/", data={**data, "locale": "de_de"})
    assert saved.status_code == 302
    page = logged_in.get("/settings/").get_data(as_text=True)
    assert 'name="locale" type="text" value="de-DE"' in page
