"""The wizard's missing-data check reads, for each recipient, the language variant they will
get: a value that only the French variant prints is checked for French candidates only, and
one that only the English source prints is not checked for them."""

from __future__ import annotations

import re

from tests.support import factories
from tests.test_template_translations import FRENCH, translate
from tests.test_templates_studio import BODY, create
from tests.test_wizard import walk_to_review
from webapp.extensions import db

FORMAL = " (Madame, Monsieur {{ candidate.last_name }})</mj-text>"
FRENCH_FORMAL = {**FRENCH, "body_mjml": FRENCH["body_mjml"].replace("</mj-text>", FORMAL)}


def setup_audience(org):
    people = [
        factories.make_candidate(org, "claire@example.com", first_name="Claire", locale="fr-CA"),
        factories.make_candidate(org, "francois@example.com", first_name="François", last_name="",
                                 locale="fr"),
        factories.make_candidate(org, "eve@example.com", first_name="Eve", last_name="",
                                 locale="en"),
        factories.make_candidate(org, "ed@example.com", first_name="Ed", locale="en-GB"),
    ]  # fmt: skip
    shortlist = factories.make_shortlist(org, candidates=people)
    db.session.commit()
    return shortlist


def review_page(client, org, template) -> str:
    _campaign, base = walk_to_review(client, setup_audience(org), template)
    return client.get(f"{base}/review").get_data(as_text=True)


def missing_list(page: str) -> str:
    found = re.search(r"<summary>Missing data for the template.*?</details>", page, re.S)
    return found.group(0) if found else ""


def test_a_value_only_the_french_variant_prints_is_checked_for_french_candidates(logged_in, org):
    template = create(logged_in)  # the English source prints no last name
    translate(logged_in, template, "fr", FRENCH_FORMAL)
    page = review_page(logged_in, org, template)
    assert 'data-count="missing_data">1<' in page, missing_list(page)
    listed = missing_list(page)
    assert "francois@example.com" in listed and "candidate.last_name" in listed
    assert "eve@example.com" not in listed  # she gets the English source
    assert 'data-count="will_send">3<' in page


def test_a_value_only_the_source_prints_is_not_checked_for_french_candidates(logged_in, org):
    body = BODY.replace("{{ job.title }}", "{{ job.title }} (Dear {{ candidate.last_name }})")
    template = create(logged_in, body_mjml=body)
    translate(logged_in, template, "fr", FRENCH)
    page = review_page(logged_in, org, template)
    assert 'data-count="missing_data">1<' in page, missing_list(page)
    listed = missing_list(page)
    assert "eve@example.com" in listed and "candidate.last_name" in listed
    assert "francois@example.com" not in listed  # he gets the French variant
