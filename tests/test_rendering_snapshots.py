"""Snapshots of every default template (HTML and text) rendered with the sample data.

A change to a default template, the brand layout or the rendering pipeline shows up here as a
diff to review. Refresh on purpose with:
``HERALD_UPDATE_SNAPSHOTS=1 pytest tests/test_rendering_snapshots.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from webapp.models.template import TEMPLATE_TYPES
from webapp.services.rendering import BrandData, render
from webapp.services.rendering.validate import validate
from webapp.services.rendering.variables import sample_context
from webapp.services.templates.library import system_default

SNAPSHOTS = Path(__file__).parent / "snapshots"
BRAND = BrandData(
    org_name="Acme Recruiting",
    postal_address="1 Example Street, 75001 Paris",
    footer_text="You receive this email because you applied for a role at Acme.",
    sender_name="Acme Talent Team",
    revision="snapshot",
)


def _check(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("HERALD_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing snapshot {name}: run with HERALD_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed"


@pytest.mark.parametrize("template_type", [t for t in TEMPLATE_TYPES if t != "custom"])
def test_default_template_snapshot(template_type):
    default = system_default(template_type)
    result = render(default.source, BRAND, sample_context())
    assert result.errors == []
    assert result.subject and result.preheader
    _check(f"{template_type}.html", result.html)
    _check(f"{template_type}.txt", f"Subject: {result.subject}\n\n{result.text}")


@pytest.mark.parametrize("template_type", TEMPLATE_TYPES)
def test_default_templates_pass_validation_and_are_accessible(template_type):
    default = system_default(template_type)
    result = validate(default.source, BRAND, category=default.category)
    assert result.errors == []
    html = result.html
    assert '<html lang="en"' in html or '<html lang="en"' in html
    assert 'name="color-scheme" content="light dark"' in html  # dark-mode aware
    assert "prefers-color-scheme: dark" in html
    assert 'name="viewport"' in html  # mobile
    assert "<img" not in html or 'alt="' in html
    assert "Unsubscribe" in result.text and "1 Example Street" in result.text


def test_invitation_has_the_accept_button_to_the_signed_link():
    result = render(system_default("invitation").source, BRAND, sample_context())
    assert 'href="https://herald.example.com/i/sample-token"' in result.html
    assert "Accept or choose another time" in result.html
    result = render(
        system_default("invitation").source, BRAND, sample_context({"interview": {"at": ""}})
    )
    assert "Choose a time" in result.html and "When:" not in result.html
