"""REQUIREMENTS P3: a user of organization A gets 404 for every object id of organization B on
every page, fragment, API route, export and job-status route — checked over the whole URL map,
so a new route is covered the day it is added."""

from __future__ import annotations

import pytest

from tests.support import factories
from tests.support.isolation import foreign_objects
from webapp.extensions import db

# Token-authenticated public routes: a token names its organization itself (tested in their
# own suites with tampered and other-organization tokens).
TOKEN_BLUEPRINTS = {"tracking", "preferences", "interviews", "webhooks", "ops", "auth"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _id_arguments(rule) -> list[str]:
    return [arg for arg in rule.arguments if arg == "id" or arg.endswith("_id")]


def _routes(app):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint in TOKEN_BLUEPRINTS or rule.endpoint == "static":
            continue
        if _id_arguments(rule):
            yield rule


@pytest.fixture
def api_key_of_a(org):
    from webapp.services.accounts.api_keys import create_api_key

    _key, raw = create_api_key(org.id, "isolation", ["send", "read", "manage"])
    db.session.commit()
    return raw


def test_no_route_shows_or_changes_another_organizations_object(
    app, client, org, other_org, user, login_as, api_key_of_a
):
    ids = foreign_objects(other_org)
    db.session.commit()
    login_as(user, org=org)
    unmapped, leaks, checked = [], [], 0
    for rule in _routes(app):
        values = {}
        for arg in rule.arguments:
            if arg in ids:
                values[arg] = ids[arg]
            elif arg in _id_arguments(rule):
                unmapped.append(f"{rule.rule} ({arg})")
            else:
                values[arg] = "x"
        if any(arg not in values for arg in rule.arguments):
            continue
        url = rule.build(values, append_unknown=False)[1]
        headers = {"Authorization": f"Bearer {api_key_of_a}"} if url.startswith("/api/") else {}
        for method in METHODS:
            if method not in rule.methods:
                continue
            response = client.open(
                url, method=method, headers=headers, json={} if method != "GET" else None
            )
            checked += 1
            if response.status_code != 404:
                leaks.append(f"{method} {url} -> {response.status_code}")
    assert unmapped == [], f"teach tests/support/isolation.py these id arguments: {unmapped}"
    assert leaks == [], f"routes that do not answer 404 for another organization's ids: {leaks}"
    assert checked > 0


def test_unknown_ids_are_404_too(app, logged_in):
    bogus = "00000000-0000-7000-8000-000000000000"
    for rule in _routes(app):
        if "GET" not in rule.methods:
            continue
        values = {arg: bogus if arg in _id_arguments(rule) else "x" for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        if url.startswith("/api/"):
            continue
        assert logged_in.get(url).status_code == 404, url


def test_factories_make_distinct_organizations(org, other_org):
    assert org.id != other_org.id
    assert factories.make_org("Third").slug != org.slug
