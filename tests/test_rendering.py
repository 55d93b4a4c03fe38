# ruff: noqa: E501 - template sources read best as the one line an author would write
"""The rendering service: REQUIREMENTS T1-T4, filters, plain context, links, text, caching."""

from __future__ import annotations

import threading
import time

import pytest

from webapp.services.rendering import BrandData, TemplateSource, render
from webapp.services.rendering.compiled import compile_template
from webapp.services.rendering.validate import validate
from webapp.services.rendering.variables import sample_context

BRAND = BrandData(org_name="Acme", revision="test")


def source(body_line: str, subject: str = "Hello") -> TemplateSource:
    body = f"<mj-section>\n<mj-column>\n<mj-text>{body_line}</mj-text>\n</mj-column>\n</mj-section>"
    return TemplateSource(subject=subject, preheader="", body_mjml=body)


def errors_of(body_line: str, **context) -> list:
    result = render(source(body_line), BRAND, sample_context(context), strict=True)
    return result.errors


# --- T1: sandbox escapes are security errors for the author, never a 500 ---------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ candidate.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ range.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format(candidate) }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(1) }}",
    "{{ candidate|attr('__class__') }}",
    "{{ job|attr('__dict__') }}",
    "{{ ('%s' % candidate) }}",
    "{% set x = candidate.update({'a': 1}) %}{{ x }}",
    "{{ digest.entries.append(1) }}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_t1_sandbox_escapes_are_security_errors(payload):
    result = validate(source(payload), BRAND, category="updates")
    assert result.errors, payload
    assert result.html == ""
    kinds = {e.kind for e in result.errors}
    assert kinds & {"security", "undefined"}, result.errors
    if "cycler" not in payload:
        assert "security" in kinds, result.errors


def test_t1_security_error_in_non_strict_send_render_too():
    result = render(source("{{ candidate.__class__ }}"), BRAND, sample_context())
    assert result.errors[0].kind == "security" and result.html == ""


# --- T2: the context is plain data ----------------------------------------------------------


class Secretive:
    password = "hunter2"

    def delete_everything(self):
        raise AssertionError("a template called a method of an object")


def test_t2_objects_and_callables_never_reach_templates():
    context = sample_context(
        {"obj": Secretive(), "fn": Secretive().delete_everything, "candidate": {"x": Secretive()}}
    )
    result = render(source("[{{ obj.password }}][{{ fn }}][{{ candidate.x }}]"), BRAND, context)
    assert result.errors == []
    assert "hunter2" not in result.html and "[][][]" in result.html
    assert any("obj" in w for w in result.warnings)


def test_t2_no_config_or_secret_globals():
    for name in ("config", "request", "session", "g", "url_for", "lipsum", "joiner"):
        result = render(source(f"[{{{{ {name} }}}}]"), BRAND, sample_context())
        assert "[]" in result.html, name
    result = validate(source("{{ config.SECRET_KEY }}"), BRAND, category="updates")
    assert any("config" in e.message for e in result.errors)


# --- T3: size and time caps keep the worker healthy -----------------------------------------


@pytest.mark.parametrize(
    "payload, kind",
    [
        ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", "size"),
        ("{{ 'x' * 100000000 }}", "size"),
        ("{% for i in range(9000) %}{{ 'y' * 1000 }}{% endfor %}", "size"),
        ("{{ range(100000000)|list }}", "size"),
        ("{{ 'ab'|replace('a', 'a' * 999999) }}{{ ('a' * 999999)|replace('a', 'aaaa') }}", "size"),
        ("{{ 'x'|center(100000000) }}", "size"),
        ("{{ 9 ** 99999999 }}", "size"),
    ],
)
def test_t3_huge_output_and_loops_stop_at_a_limit(payload, kind):
    started = time.monotonic()
    result = render(source(payload), BRAND, sample_context())
    assert [e.kind for e in result.errors] == [kind], result.errors
    assert time.monotonic() - started < 5


def test_t3_slow_template_stops_at_the_time_limit(monkeypatch):
    from webapp.services.rendering import limits

    monkeypatch.setattr(limits, "_limits", limits.Limits(seconds=0.2, max_iterations=10**9))
    slow = "{% for i in range(10000) %}{% for j in range(10000) %}{{ i|string|length }}{% endfor %}{% endfor %}"
    started = time.monotonic()
    result = render(source(slow), BRAND, sample_context())
    assert [e.kind for e in result.errors] == ["timeout"]
    assert time.monotonic() - started < 3
    # the process is healthy: the next render works and is fast
    ok = render(source("fine {{ candidate.first_name }}"), BRAND, sample_context())
    assert ok.errors == [] and "fine Ada" in ok.html


def test_t3_caps_hold_in_worker_threads():
    results = []

    def work():
        results.append(render(source("{{ 'x' * 100000000 }}"), BRAND, sample_context()))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 4 and all(r.errors[0].kind == "size" for r in results)


# --- T4: mj-include rejected; recipient data with MJML renders as text -----------------------


def test_t4_mj_include_is_rejected_with_its_line():
    body = (
        '<mj-section>\n<mj-column>\n<mj-include path="/etc/passwd" />\n</mj-column>\n</mj-section>'
    )
    result = validate(TemplateSource("s", "", body), BRAND, category="updates")
    assert any(e.line == 3 and "mj-include" in e.message for e in result.errors)


def test_t4_recipient_data_with_mjml_tags_is_escaped():
    evil = '</mj-text><mj-include path="x"/><mj-button href="https://evil.example.com">Pay</mj-button><script>alert(1)</script>'
    result = render(
        source("Hi {{ candidate.full_name }}"),
        BRAND,
        sample_context({"candidate": {"full_name": evil}}),
    )
    assert result.errors == []
    assert "&lt;/mj-text&gt;&lt;mj-include" in result.html
    assert "<script>alert(1)" not in result.html
    assert 'href="https://evil.example.com"' not in result.html


# --- validation messages carry line numbers ---------------------------------------------------


def test_errors_carry_the_authors_line_numbers():
    body = "<mj-section>\n<mj-column>\n<mj-text>ok</mj-text>\n<mj-text>{{ job.title }</mj-text>\n</mj-column>\n</mj-section>"
    result = validate(TemplateSource("s", "", body), BRAND, category="updates")
    assert [(e.line, e.kind) for e in result.errors] == [(4, "syntax")]
    body = "<mj-section>\n<mj-column>\n<mj-text>\n{% if x %}open</mj-text>\n</mj-column>\n</mj-section>"
    result = validate(TemplateSource("s", "", body), BRAND, category="updates")
    assert result.errors[0].line == 4
    body = '<mj-section>\n<mj-column>\n<mj-text><a href="ftp://x.example.com">x</a></mj-text>\n</mj-column>\n</mj-section>'
    result = validate(TemplateSource("s", "", body), BRAND, category="updates")
    assert [(e.line, e.kind) for e in result.errors] == [(3, "link")]
    body = "<mj-section>\n<mj-column>\n<mj-text>a</mj-text>\n<mj-txt>b</mj-txt>\n</mj-column>\n</mj-section>"
    result = validate(TemplateSource("s", "", body), BRAND, category="updates")
    assert (4, "mjml") in [(e.line, e.kind) for e in result.errors]


def test_strict_reports_unknown_variables_lenient_render_leaves_them_empty():
    result = render(source("[{{ candidate.nickname }}]"), BRAND, sample_context(), strict=True)
    assert result.errors[0].kind == "undefined" and result.errors[0].line == 3
    result = render(source("[{{ candidate.nickname }}]"), BRAND, sample_context())
    assert result.errors == [] and "[]" in result.html


# --- filters ---------------------------------------------------------------------------------


def test_dates_follow_the_recipients_zone_and_locale():
    line = "{{ interview.at|datetime('full') }} / {{ interview.at|time }} / {{ interview.at|timezone_name }}"
    context = {
        "interview": {"at": "2026-12-01T09:00:00Z"},
        "recipient": {"timezone": "Europe/Paris", "locale": "fr"},
    }
    result = render(source(line), BRAND, sample_context(context))
    assert "mardi 1 décembre 2026" in result.html and "10:00" in result.html
    context["recipient"] = {"timezone": "America/New_York", "locale": "en_US"}
    result = render(source(line), BRAND, sample_context(context))
    assert "Tuesday, December 1, 2026" in result.html and "4:00" in result.html


def test_money_names_and_duration():
    line = "{{ 1234.5|money('EUR') }} | {{ 'ADA lovelace'|name }} | {{ ''|first_name }} | {{ 90|duration }}"
    result = render(source(line), BRAND, sample_context({"recipient": {"locale": "de"}}))
    assert "1.234,50" in result.html and "€" in result.html
    assert "Ada Lovelace | zusammen | 1 Std. 30 Min." in result.html  # German, as the recipient
    result = render(source(line), BRAND, sample_context({"recipient": {"locale": "en"}}))
    assert "Ada Lovelace | there | 1 h 30 min" in result.html


# --- links and text -----------------------------------------------------------------------------


def test_link_rewriter_sees_trackable_links_in_order():
    line = (
        '<a href="https://a.example.com/x?y=1&amp;z=2">a</a> <a href="mailto:x@example.com">m</a> '
        '<a href="https://b.example.com" data-notrack>b</a> <a href="{{ invite_url }}">i</a>'
    )
    seen = []
    result = render(source(line), BRAND, sample_context(),
                    link_rewriter=lambda url, i: seen.append((url, i)) or f"https://t.example.com/{i}")  # fmt: skip
    assert seen == [
        ("https://a.example.com/x?y=1&z=2", 0),
        ("https://herald.example.com/i/sample-token", 1),
    ]
    assert result.links == [url for url, _ in seen]
    assert 'href="https://t.example.com/0"' in result.html
    assert 'href="https://b.example.com"' in result.html  # opted out
    assert "mailto:x@example.com" in result.html
    assert "https://herald.example.com/u/sample-token" in result.html  # unsubscribe never tracked


def test_text_part_is_derived_or_taken_from_the_template():
    result = render(source("Hello {{ candidate.first_name }}"), BRAND, sample_context())
    assert "Hello Ada" in result.text and "<" not in result.text.replace("<https", "")
    own = TemplateSource(
        "s", "", source("x").body_mjml, body_text="Plain {{ candidate.first_name }}"
    )
    assert render(own, BRAND, sample_context()).text == "Plain Ada\n"


def test_compiled_once_per_version_and_brand_revision():
    src = source("Hi {{ candidate.first_name }}")
    first = compile_template(src, BRAND)
    assert compile_template(src, BRAND) is first
    assert first.fast  # MJML ran once; recipients only run Jinja
    other = BrandData(org_name="Acme", primary_color="#000000", revision="test-2")
    assert compile_template(src, other) is not first
    loop = TemplateSource(
        "s",
        "",
        "{% for s in interview.slots %}<mj-section><mj-column><mj-text>{{ s }}</mj-text></mj-column></mj-section>{% endfor %}",
    )
    result = render(loop, BRAND, sample_context())
    assert result.errors == [] and result.html.count("2026-12-0") == 2
