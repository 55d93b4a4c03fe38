"""MJML is compiled once per template version and brand revision; what a recipient gets is
exactly what a fresh full render (Jinja, then MJML, then the text part) gives, for every
shipped template and for templates whose Jinja sits inside the MJML structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.models.template import TEMPLATE_TYPES
from webapp.services.rendering import BrandData, TemplateSource
from webapp.services.rendering.compiled import (
    compile_reference,
    compile_template,
    render_compiled,
)
from webapp.services.templates.library import system_default

BENCH_INVITATION = Path(__file__).resolve().parents[1] / "benchmarks" / "invitation.mjml"

BRANDS = [
    BrandData(org_name="Acme & Co", postal_address="1 Main St\nLyon", revision="r1"),
    BrandData(
        org_name="Zürich Talent",
        logo_url="https://cdn.example.com/logo.png",
        primary_color="#0f766e",
        footer_text="People first.",
        revision="r2",
    ),
]


def contexts() -> list[dict]:
    base = {
        "org": {"name": "Acme & Co", "postal_address": "1 Main St"},
        "sender_name": "Sam <Talent>",
        "recipient": {"email": "a@example.com", "timezone": "Europe/Paris", "locale": "fr"},
        "unsubscribe_url": "https://herald.example.com/u/tok",
        "preferences_url": "https://herald.example.com/p/tok",
        "invite_url": "https://herald.example.com/i/tok?x=1&y=2",
        "candidate": {"first_name": "Zoë", "last_name": "O'Brien", "full_name": "Zoë O'Brien"},
        "job": {"title": "Back-end <Engineer>", "location": "Lyon", "department": "R&D"},
        "interview": {
            "at": "2030-05-01T09:30:00+00:00",
            "duration_minutes": 45,
            "location": "HQ, 3rd floor",
            "video_url": "https://meet.example.com/abc",
            "slots": ["Mon 10:00", "Tue 14:00"],
        },
        "items": [{"title": "First", "url": "https://example.com/1"}, {"title": "Second & last"}],
        "pad": "12px",
        "wide": True,
    }
    bare = {
        **base,
        "candidate": {"first_name": "", "full_name": ""},
        "job": {"title": "Designer", "location": ""},
        "interview": {
            "at": "",
            "duration_minutes": 30,
            "location": "",
            "video_url": "",
            "slots": [],
        },
        "items": [],
        "wide": False,
    }
    odd = {
        **base,
        "candidate": {"first_name": "  Ann\nMarie ", "full_name": "- Ann *Marie*"},
        "job": {"title": "C:\\jobs\\[lead]", "location": "1. Lyon", "department": "+33 e\u0301"},
        "items": [{"title": "<b>bold</b> & co"}, {"title": "  "}],
    }
    return [base, bare, odd]


AWKWARD = {
    "if around sections": (
        "{% if interview.at %}<mj-section><mj-column><mj-text>At {{ interview.at|time }}"
        "</mj-text></mj-column></mj-section>{% else %}<mj-section><mj-column><mj-text>Pick a "
        "time</mj-text></mj-column></mj-section>{% endif %}"
    ),
    "loop around sections": (
        "{% for item in items %}<mj-section><mj-column><mj-text>{{ loop.index }}. "
        '{{ item.title }}</mj-text>{% if item.url %}<mj-button href="{{ item.url }}">Open'
        "</mj-button>{% endif %}</mj-column></mj-section>{% endfor %}"
    ),
    "placeholder in a rewritten attribute": (
        '<mj-section padding="{{ pad }}"><mj-column><mj-text padding="{{ pad }}">'
        "Hi {{ candidate.first_name }}</mj-text></mj-column></mj-section>"
    ),
    "conditional column count": (
        "<mj-section>{% if wide %}<mj-column><mj-text>Left</mj-text></mj-column>{% endif %}"
        "<mj-column><mj-text>{{ job.title }}</mj-text></mj-column></mj-section>"
    ),
    "links with placeholders and set": (
        "{% set greeting = 'Hello ' ~ candidate.first_name %}{# a comment #}"
        '<mj-section><mj-column><mj-text>{{ greeting }}, see <a href="https://example.com/'
        '{{ job.title|urlencode }}?q=1&amp;r=2">the role</a> and <a href="{{ invite_url }}">'
        'answer</a>.</mj-text><mj-button href="{{ interview.video_url or invite_url }}">Join'
        "</mj-button></mj-column></mj-section>"
    ),
    "raw html and a table": (
        "<mj-section><mj-column><mj-raw><p>{{ candidate.full_name }}</p></mj-raw>"
        "<mj-table><tr><td>{{ job.department }}</td><td>{{ interview.location }}</td></tr>"
        "</mj-table></mj-column></mj-section>"
    ),
    "anchors with values inside": (
        '{% if job.title %}<mj-section><mj-column><mj-text><a href="https://example.com/a" '
        'title="{{ job.title }}">a</a> <a data-notrack href="{{ invite_url }}">b</a> '
        '<a href="{{ unsubscribe_url }}">'
        "c</a> <a href=\"mailto:{{ recipient.email }}\">d</a> <a href='{{ invite_url }}'>e</a> "
        '<A HREF="https://EXAMPLE.com/x?a=1&amp;b=2">f</A> <a class="{{ job.department }}" '
        'href="https://example.com/{{ candidate.first_name|urlencode }}">g</a> '
        '<a href="{{ preferences_url }}">h</a> {{ job.title }} <abbr>i</abbr>'
        "</mj-text></mj-column></mj-section>{% endif %}"
    ),
    "whole document": (
        "<mjml><mj-head><mj-title>{{ job.title }}</mj-title><mj-preview>{{ preheader }}"
        "</mj-preview></mj-head><mj-body><mj-section><mj-column><mj-text>{{ candidate.first_name"
        ' }} <a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text></mj-column></mj-section>'
        "</mj-body></mjml>"
    ),
}


def sources() -> list[tuple[str, TemplateSource]]:
    found = [(kind, system_default(kind).source) for kind in TEMPLATE_TYPES]
    for name, body in AWKWARD.items():
        found.append(
            (name, TemplateSource(subject="{{ job.title }} for {{ candidate.first_name }}",
                                  preheader="{% if interview.at %}Soon{% endif %}",
                                  body_mjml=body))
        )  # fmt: skip
    found.append(
        ("with its own text part", TemplateSource(subject="Hi", preheader="",
                                                  body_mjml=AWKWARD["loop around sections"],
                                                  body_text="{{ candidate.first_name }}:\n"
                                                  "{% for i in items %}- {{ i.title }}\n"
                                                  "{% endfor %}"))
    )  # fmt: skip
    header, body = BENCH_INVITATION.read_text().split("\n---\n", 1)
    meta = dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)
    found.append(
        ("benchmark invitation",
         TemplateSource(subject=meta["subject"], preheader=meta["preheader"], body_mjml=body))
    )  # fmt: skip
    return found


def tracked(url: str, index: int) -> str:
    return f"https://herald.example.com/t/c/{index}?{len(url)}"


@pytest.mark.parametrize(("name", "source"), sources(), ids=[name for name, _ in sources()])
def test_the_cached_path_gives_what_a_full_render_gives(app, name, source):
    for brand in BRANDS:
        fast = compile_template(source, brand)
        reference = compile_reference(source, brand)
        assert not fast.errors, fast.errors
        for context in contexts():
            got = render_compiled(fast, context, link_rewriter=tracked)
            want = render_compiled(reference, context, link_rewriter=tracked)
            assert want.errors == [] and got.errors == []
            assert got.subject == want.subject
            assert got.preheader == want.preheader
            assert got.html == want.html
            assert got.text == want.text
            assert got.links == want.links


def test_a_brand_change_recompiles_and_a_version_compiles_once(app):
    source = system_default("invitation").source
    first = compile_template(source, BRANDS[0])
    assert compile_template(source, BRANDS[0]) is first
    rebranded = compile_template(source, BRANDS[1])
    assert rebranded is not first
    html = render_compiled(rebranded, contexts()[0]).html
    assert "https://cdn.example.com/logo.png" in html and "#0f766e" in html
