"""One campaign, four languages: candidates in fr-CA, de, ar and pt-BR get a template that
has French, German and Arabic variants, through the wizard, a real worker and a real SMTP
server. Each email is read as received: its words, its subject, ``lang`` and ``dir``."""

from __future__ import annotations

import email
import re
import uuid
from email import policy

from tests import test_api_helpers as helpers
from tests.support import factories
from tests.test_template_translations import ARABIC, FRENCH, translate
from tests.test_templates_studio import create
from tests.test_wizard import walk_to_review
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Candidate, Message
from webapp.services.queues import DEFAULT, get_queue
from webapp.services.templates.library import system_default

api = helpers.api  # fixture

GERMAN = {
    "subject": "Vorstellungsgespräch: {{ job.title }}",
    "preheader": "Wählen Sie einen Termin",
    "body_mjml": "<mj-section><mj-column><mj-text>Guten Tag {{ candidate.first_name }}</mj-text>"
    '<mj-button href="{{ invite_url }}">Termin wählen</mj-button></mj-column></mj-section>',
    "body_text": "",
}
PEOPLE = {"claire@example.com": "fr_ca", "dieter@example.com": "de", "amal@example.com": "ar",
          "joao@example.com": "pt-br"}  # fmt: skip


def html_of(received) -> tuple[str, str]:
    parsed = email.message_from_bytes(received.data, policy=policy.default)
    return str(parsed["Subject"]), parsed.get_body(preferencelist=("html",)).get_content()


def test_each_candidate_gets_the_campaign_in_their_language(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    api,
    org,
):
    template = create(logged_in)  # written in English, the organization's language then
    org.locale = "de-DE"  # now the organization's default language is German
    db.session.commit()
    translate(logged_in, template, "fr", FRENCH)
    translate(logged_in, template, "de", GERMAN)
    translate(logged_in, template, "ar", ARABIC)
    people = []
    for address, locale in PEOPLE.items():
        response = api.post(
            "/candidates",
            json={"email": address, "first_name": address.split("@")[0].title(), "locale": locale},
        )
        assert response.status_code == 201, response.json
        people.append(response.json)
    assert [p["locale"] for p in people] == ["fr-CA", "de", "ar", "pt-BR"]  # normalized
    candidates = [db.session.get(Candidate, uuid.UUID(p["id"])) for p in people]
    shortlist = factories.make_shortlist(org, candidates=candidates)
    db.session.commit()

    campaign, base = walk_to_review(logged_in, shortlist, template)
    review = logged_in.get(f"{base}/review").get_data(as_text=True)
    counts = dict(re.findall(r'data-language="([\w-]+)"><strong>(\d+)</strong>', review))
    assert counts == {"fr": "1", "de": "2", "ar": "1"}
    assert "1 pt-BR → German (no Portuguese variant)" in review
    amal = next(p["id"] for p in people if p["locale"] == "ar")
    preview = logged_in.get(
        f"{base}/preview?template_id={template.id}&candidate_id={amal}",
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "مرحبا Amal" in preview and "lang=&#34;ar&#34; dir=&#34;rtl&#34;" in preview
    response = logged_in.post(f"{base}/confirm", data={})
    assert response.status_code == 303, response.get_data(as_text=True)

    get_queue(DEFAULT).enqueue(
        "jobs.campaigns.expand_campaign", str(campaign.id), description="expand_campaign"
    )
    run_burst(worker_env, DEFAULT)
    get_queue(DEFAULT).enqueue("jobs.sending.dispatch_due", description="dispatch_due")
    run_burst(worker_env)

    by_address = {item.rcpt_tos[0]: html_of(item) for item in smtp_server.received}
    assert set(by_address) == set(PEOPLE)
    expected = {
        "claire@example.com": ("fr", "ltr", "Entretien pour", "Bonjour"),
        "dieter@example.com": ("de", "ltr", "Vorstellungsgespräch", "Guten Tag"),
        "amal@example.com": ("ar", "rtl", "مقابلة لوظيفة", "مرحبا"),
        "joao@example.com": ("de", "ltr", "Vorstellungsgespräch", "Guten Tag"),  # org default
    }
    for address, (lang, direction, subject_words, body_words) in expected.items():
        subject, html = by_address[address]
        assert subject.startswith(subject_words), (address, subject)
        assert re.search(rf'<html lang="{lang}" dir="{direction}"', html), address
        assert body_words in html and "Hello" not in html, address
    assert "direction:rtl" in by_address["amal@example.com"][1]
    assert "direction:rtl" not in by_address["claire@example.com"][1]

    db.session.expire_all()
    for message in db.session.scalars(db.select(Message)):
        shown = api.get(f"/messages/{message.id}").json
        assert shown["language"] == expected[shown["to"]][0]
        assert shown["status"] == "sent"
    amal = next(m for m in db.session.scalars(db.select(Message)) if m.to_email.startswith("amal"))
    page = logged_in.get(f"/messages/{amal.id}").get_data(as_text=True)
    assert "<dt>Language</dt><dd>Arabic" in page


def test_a_template_started_from_a_default_reads_in_every_catalog_language(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    api,
    org,
):
    """A template made from Herald's default keeps its ``_()`` words: with no translation of
    its own it still reaches each candidate in their language, as the default itself does."""
    default = system_default("invitation").source
    template = create(
        logged_in,
        subject=default.subject,
        preheader=default.preheader,
        body_mjml=default.body_mjml,
        body_text=default.body_text,
    )
    people = {"claire@example.com": "fr-CA", "dieter@example.com": "de", "amal@example.com": "ar",
              "joao@example.com": "pt"}  # fmt: skip
    candidates = []
    for address, locale in people.items():
        response = api.post(
            "/candidates", json={"email": address, "first_name": "Sam", "locale": locale}
        )
        assert response.status_code == 201, response.json
        candidates.append(db.session.get(Candidate, uuid.UUID(response.json["id"])))
    shortlist = factories.make_shortlist(org, candidates=candidates)
    db.session.commit()

    campaign, base = walk_to_review(logged_in, shortlist, template)
    review = logged_in.get(f"{base}/review").get_data(as_text=True)
    counts = dict(re.findall(r'data-language="([\w-]+)"><strong>(\d+)</strong>', review))
    assert counts == {"fr": "1", "de": "1", "ar": "1", "en": "1"}
    assert logged_in.post(f"{base}/confirm", data={}).status_code == 303
    get_queue(DEFAULT).enqueue(
        "jobs.campaigns.expand_campaign", str(campaign.id), description="expand_campaign"
    )
    run_burst(worker_env, DEFAULT)
    get_queue(DEFAULT).enqueue("jobs.sending.dispatch_due", description="dispatch_due")
    run_burst(worker_env)

    by_address = {item.rcpt_tos[0]: html_of(item) for item in smtp_server.received}
    assert re.search(r'<html lang="fr"', by_address["claire@example.com"][1])
    assert "Bonjour Sam" in by_address["claire@example.com"][1]
    assert "Hallo Sam" in by_address["dieter@example.com"][1]
    assert re.search(r'<html lang="ar" dir="rtl"', by_address["amal@example.com"][1])
    assert "Hi Sam" in by_address["joao@example.com"][1]  # no Portuguese: the source, English
