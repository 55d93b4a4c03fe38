# ruff: noqa: E501 - template sources read best as the one line an author would write
"""Hostile templates (REQUIREMENTS T3, issue classes: runaway templates, unknown filters and
tests, URL attributes). Each case must come back as an error, or as bounded output, within the
render timeout, through validation, the lenient send render, the studio and the API."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import replace

import pytest

from tests import test_api_helpers as helpers
from webapp.services.rendering import BrandData, TemplateSource, render
from webapp.services.rendering.limits import current_limits
from webapp.services.rendering.validate import validate
from webapp.services.rendering.variables import sample_context

api = helpers.api  # fixture

BRAND = BrandData(org_name="Acme", revision="limits")
SLACK = 3.0  # seconds a loaded machine may add to the timeout (a hang would never end)
PEAK_MB = 40  # the whole corpus peaks at about 15 MB; building any refused value would pass 40


def source(body_line: str) -> TemplateSource:
    body = f"<mj-section>\n<mj-column>\n<mj-text>{body_line}</mj-text>\n</mj-column>\n</mj-section>"
    return TemplateSource(subject="Hello", preheader="", body_mjml=body)


def deep(n: int) -> str:
    return "(" * n + "9" + "**64)" * n


HOSTILE = {
    # arithmetic: numbers that take ages (or all memory) to compute or to print
    "power tower": "{{ ((((9**64)**64)**64)**64) > 1 }}",
    "power chain": "{{ 2 ** 64 ** 64 }}",
    "deep powers": f"{{{{ {deep(6)} }}}}",
    "big exponent": "{{ 9 ** 99999999 }}",
    "squaring in sets": "{% set a = 2**40 %}{% set b = a*a %}{% set c = b*b %}{% set d = c*c %}{% set e = d*d %}{{ e*e }}",
    "products": "{{ 2**64 * 2**64 * 2**64 * 2**64 * 2**64 * 2**64 * 2**64 }}",
    "number from a float": "{{ (1e308)|int * 10 }}",
    "big number in a loop": "{% for i in range(100) %}{{ 10 ** (i * 10) }}{% endfor %}",
    "power of a float": "{{ 10.0 ** 400 }}",
    "sum of big numbers": "{{ [10**39, 10**39, 10**39, 10**39, 10**39, 10**39, 10**39, 10**39, 10**39, 10**39]|sum }}",
    # strings: huge text built by operators and methods
    "string times": "{{ 'x' * 10**9 }}",
    "string times in steps": "{% set s = 'x' * 999999 %}{{ s * 3 }}",
    "string plus": "{% set s = 'x' * 999999 %}{{ s + s }}",
    "tilde doubling": "{% set a = 'x' * 600000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c ~ c }}",
    "list of big strings printed": "{% set s = 'x' * 900000 %}{{ [s, s, s, s, s, s, s, s, s, s] }}",
    "list of big strings repeated": "{% set s = 'x' * 900000 %}{{ [s] * 1000 }}",
    "center method": "{{ 'x'.center(10**9) }}",
    "ljust method": "{{ 'x'.ljust(999999999) }}",
    "zfill method": "{{ '1'.zfill(10**9) }}",
    "expandtabs method": "{{ '\t'.expandtabs(10**9) }}",
    "translate method": "{{ ('a' * 1000).translate({97: 'b' * 100000}) }}",
    "join method": "{{ ('x' * 900000).join(['a', 'b', 'c', 'd']) }}",
    "replace method": "{{ ('a' * 100000).replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') }}",
    "int to_bytes": "{{ (1).to_bytes(10**9, 'big') }}",
    # format: widths and repetition inside one format string
    "format width": "{{ '{:>1000000000}'.format(1) }}",
    "format nested width": "{{ '{0:{1}}'.format('x', 999999999) }}",
    "format precision": "{{ '{:.999999999f}'.format(1.5) }}",
    "format repeats a big argument": "{% set s = 'x' * 500000 %}{{ '{0}{0}{0}{0}{0}{0}'.format(s) }}",
    "format_map width": "{{ '{a:>999999999}'.format_map({'a': 1}) }}",
    "percent operator": "{{ '%*d' % (999999999, 1) }}",
    # loops and recursion
    "range huge": "{{ range(10**9)|length }}",
    "range beyond any number": "{{ range(10**50)|length }}",
    "nested loops": "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "nested loops printing": "{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}",
    "loop over a long string": "{% for c in 'x' * 999999 %}{{ c }}{% endfor %}",
    "macro recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "macro doubling": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "macro doubling text": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% else %}xxxxxxxxxx{% endif %}{% endmacro %}{{ f(40) }}",
    "recursive loop": "{% for x in [[1, 2], [3, 4]] recursive %}{{ loop([x, x]) }}{% endfor %}",
    "set block in a loop": "{% set s = 'y' * 100000 %}{% set big %}{% for i in range(10000) %}{{ s }}{% endfor %}{% endset %}{{ big|length }}",
    "literal text in a loop": "{% set big %}{% for i in range(10000) %}"
    + "z" * 2000
    + "{% endfor %}{% endset %}{{ big|length }}",
    "caller block": "{% macro m() %}{% for i in range(10000) %}{{ caller() }}{% endfor %}{% endmacro %}{% call m() %}{{ 'q' * 100000 }}{% endcall %}",
    # filters used as amplifiers
    "center filter": "{{ 'x'|center(10**9) }}",
    "indent filter width": "{{ 'x'|indent(10**9) }}",
    "indent filter many lines": "{{ ('\\n' * 900000)|indent(1000) }}",
    "indent with a long prefix": "{{ ('\\n' * 10000)|indent('p' * 1000) }}",
    "wordwrap filter": "{{ ('word ' * 100000)|wordwrap(10**9) }}",
    "wordwrap wrapstring": "{{ ('a ' * 40000)|wordwrap(1, true, 'w' * 1000) }}",
    "truncate filter": "{{ 'x'|truncate(10**9) }}",
    "join of a repeated list": "{% set s = 'x' * 100000 %}{{ ([s] * 1000)|join }}",
    "join with a big separator": "{{ (['a'] * 1000)|join('x' * 100000) }}",
    "join of a generator": "{% set s = 'x' * 100000 %}{{ ([s] * 1000)|map('upper')|join }}",
    "batch fill": "{{ [1]|batch(10**9, 'x')|list }}",
    "list of a long string": "{{ ('x' * 999999)|list|length }}",
    "sum of lists": "{{ [[1] * 10000] * 100|sum(start=[]) }}",
    "replace filter": "{{ ('a' * 999999)|replace('a', 'aaaa') }}",
    "replace empty": "{{ ('a' * 900000)|replace('', 'bb') }}",
    "map center": "{{ (['x'] * 10000)|map('center', 1000)|join }}",
    "format filter": "{{ '%*d'|format(999999999, 1) }}",
    "money of a huge number": "{{ ('9' * 100000)|money }}",
    "date pattern": "{{ interview.at|datetime('yyyy' * 10000) }}",
    "string of a deep list": "{% set a = range(1000)|list %}{% set b = [a] * 100 %}{% set c = [b] * 100 %}{{ c|string|length }}",
}


WHOLE_BODY = {
    # bodies that are hostile as a whole: nesting, tag counts, scans that could go quadratic
    "deep brackets": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    "deep lists": "{{ " + "[" * 5000 + "1" + "]" * 5000 + " }}",
    "deep filter chain": "{{ 1" + "|abs" * 20000 + " }}",
    "deep ifs": "{% if true %}" * 3000 + "x" + "{% endif %}" * 3000,
    "deep brackets in one short tag": "{{ " + "(" * 2400 + "1" + ")" * 2400 + " }}",
    "deep ifs under the tag limit": "{% if true %}" * 499 + "x" + "{% endif %}" * 499,
    "too many placeholders": "{{ candidate.first_name }} " * 7000,
    "nested html": '<a href="https://example.com">' * 15000,
    "nested sections": "<mj-wrapper>" * 3000 + "</mj-wrapper>" * 3000,
    "unclosed mjml tags": "<mj-a" * 39000,
    "unclosed css urls": "url(" * 45000,
    "unclosed jinja tags": "{%" * 90000,
    "unclosed raw": "{% raw %}" + "{%if " * 39000 + "{% endraw %}{% if x %}",
}


@pytest.mark.parametrize("body", WHOLE_BODY.values(), ids=WHOLE_BODY.keys())
def test_hostile_body_is_refused_without_taking_the_process_down(body, short_timeout):
    limit = current_limits()
    src = TemplateSource(
        "Hi", "", f"<mj-section><mj-column><mj-text>{body}</mj-text></mj-column></mj-section>"
    )
    checked, validate_seconds = _elapsed(lambda: validate(src, BRAND, category="updates"))
    sent, send_seconds = _elapsed(lambda: render(src, BRAND, sample_context()))
    assert checked.errors and checked.html == ""
    assert validate_seconds < limit.seconds + SLACK and send_seconds < limit.seconds + SLACK
    assert sent.errors or len(sent.html) < 2 * limit.max_output


def _elapsed(func):
    started = time.monotonic()
    result = func()
    return result, time.monotonic() - started


def test_the_corpus_is_big_enough():
    assert len(HOSTILE) >= 40


@pytest.fixture
def short_timeout(monkeypatch):
    """A 0.5 s render timeout (HERALD_RENDER_TIMEOUT_MS=500): the corpus runs faster, and
    the cases stopped by the deadline show that it holds at any setting."""
    from webapp.services.rendering import limits

    monkeypatch.setattr(limits, "_limits", replace(limits.current_limits(), seconds=0.5))


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_template_stops_with_an_error_within_the_timeout(payload, short_timeout):
    limit = current_limits()
    checked, validate_seconds = _elapsed(
        lambda: validate(source(payload), BRAND, category="updates")
    )
    sent, send_seconds = _elapsed(lambda: render(source(payload), BRAND, sample_context()))
    assert validate_seconds < limit.seconds + SLACK and send_seconds < limit.seconds + SLACK
    # and nothing big was built on the way (measured apart: tracing slows Python down)
    tracemalloc.start()
    try:
        validate(source(payload), BRAND, category="updates")
        render(source(payload), BRAND, sample_context())
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert peak_mb < PEAK_MB, f"the render allocated {peak_mb:.0f} MB at its peak"
    for result in (checked, sent):
        assert result.errors, "a hostile template rendered without an error"
        assert result.html == ""
        assert all(error.message for error in result.errors)
    assert any(error.line == 3 for error in checked.errors), checked.errors


def test_a_slow_template_is_stopped_at_the_configured_timeout(monkeypatch):
    from webapp.services.rendering import limits

    monkeypatch.setattr(limits, "_limits", limits.Limits(seconds=0.3))
    slow = (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"
    )
    result, seconds = _elapsed(lambda: validate(source(slow), BRAND, category="updates"))
    assert [(e.line, e.kind) for e in result.errors] == [(3, "timeout")]
    assert "longer than 0.3 s" in result.errors[0].message
    assert seconds < 0.3 + SLACK
    ok = render(source("fine {{ candidate.first_name }}"), BRAND, sample_context())
    assert ok.errors == [] and "fine Ada" in ok.html  # the process carries on


def test_configured_output_size_is_the_limit(app_settings):
    from webapp import create_app
    from webapp.services.rendering import limits

    saved = limits.current_limits()
    try:
        create_app({**app_settings, "render_max_bytes": 50_000, "render_timeout_ms": 700})
        assert limits.current_limits().seconds == 0.7
        result = render(source("{{ 'x' * 60000 }}"), BRAND, sample_context())
        assert "50,000" in result.errors[0].message
        fits = render(source("{{ 'x' * 20000 }}"), BRAND, sample_context())
        assert fits.errors == []
    finally:
        limits.set_limits(saved)


BOUNDED_BUT_FINE = [
    ("{{ 2 ** 64 }}", "18446744073709551616"),
    ("{{ '{:,}'.format(1234567) }}", "1,234,567"),
    ("{{ 'ab' * 3 }}", "ababab"),
    ("{{ 'x'|center(9) }}", "    x    "),
    ("{{ 'Ada'.ljust(5, '.') }}|", "Ada..|"),
    ("{{ ['a', 'b']|join(', ') }}", "a, b"),
    ("{{ range(3)|sum }}", "3"),
    ("{{ 'a-b'.split('-')|join('+') }}", "a+b"),
    ("{% for i in range(3) %}{{ loop.index }}{% endfor %}", "123"),
    ("{{ (10 ** 39) // 10 ** 38 }}", "10"),
]


@pytest.mark.parametrize("payload, expected", BOUNDED_BUT_FINE)
def test_ordinary_templates_still_render(payload, expected):
    result = validate(source(payload), BRAND, category="updates")
    assert result.errors == [], result.errors
    assert expected in result.html


# --- unknown filters and tests: line-numbered errors, wherever they are named -----------------

UNKNOWN_NAMES = [
    ("{{ candidate.first_name|nosuchfilter }}", "Unknown filter “nosuchfilter”."),
    ("{% if candidate.first_name is nosuchtest %}a{% endif %}", "Unknown test “nosuchtest”."),
    ("{% if false %}{{ candidate.first_name|hidden }}{% endif %}", "Unknown filter “hidden”."),
    (
        "{% if candidate.first_name %}a{% elif job.title is hiddentest %}b{% endif %}",
        "Unknown test “hiddentest”.",
    ),
    ("{% if false %}{% if job.title is nope %}b{% endif %}{% endif %}", "Unknown test “nope”."),
    ("{{ 'a' if false else job.title|nope2 }}", "Unknown filter “nope2”."),
    ("{% filter nosuch %}x{% endfilter %}", "Unknown filter “nosuch”."),
    ("{% for x in [1, 2] if x is nosuchtest2 %}{{ x }}{% endfor %}", "Unknown test “nosuchtest2”."),
    ("{% macro m() %}{{ 1|inmacro }}{% endmacro %}", "Unknown filter “inmacro”."),
    ("{% set x %}{{ 1|inset }}{% endset %}", "Unknown filter “inset”."),
    ("{{ [1, 2]|select('nosuchtest3')|list }}", "Unknown test “nosuchtest3”."),
    ("{{ [1, 2]|reject('nosuchtest4')|list }}", "Unknown test “nosuchtest4”."),
    ("{{ digest.entries|selectattr('title', 'nosuchtest5')|list }}", "Unknown test “nosuchtest5”."),
    ("{{ ['a']|map('nosuchfilter6')|list }}", "Unknown filter “nosuchfilter6”."),
    ("{{ 'x'|format }}", "Unknown filter “format”."),
    ("{{ 'x'|tojson }}", "Unknown filter “tojson”."),
]


@pytest.mark.parametrize("payload, message", UNKNOWN_NAMES)
def test_unknown_filter_or_test_is_a_line_numbered_error(payload, message):
    result = validate(source(payload), BRAND, category="updates")
    assert (3, message) in [(e.line, e.message) for e in result.errors], result.errors


def test_unknown_names_in_subject_and_text_version_are_errors_too():
    src = TemplateSource(
        subject="Hi {{ candidate.first_name|shout }}",
        preheader="",
        body_mjml="<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>",
        body_text="line one\n{% if job.title is long %}x{% endif %}",
    )
    messages = [(e.line, e.message) for e in validate(src, BRAND, category="updates").errors]
    assert (None, "Subject: Unknown filter “shout”.") in messages
    assert (2, "Text version: Unknown test “long”.") in messages


def test_unknown_test_behind_a_condition_fails_the_send_render_with_a_reason():
    payload = "{% if candidate.first_name == 'Grace' and job.title is nosuchtest %}a{% endif %}"
    result = render(source(payload), BRAND, sample_context({"candidate": {"first_name": "Grace"}}))
    assert [e.message for e in result.errors] == ["Unknown test “nosuchtest”."]


# --- URL attributes: http(s) (mailto: and #fragments for links) or a placeholder -------------

BAD_URLS = [
    '<mj-image src="file:///etc/passwd" />',
    '<mj-image src="https://cdn.example.com/a.png" href="javascript:alert(1)" />',
    '<mj-button href="&#106;avascript:alert(1)">Go</mj-button>',
    '<mj-button href=" java\tscript:alert(1)">Go</mj-button>',
    '<mj-button href="vbscript:msgbox(1)">Go</mj-button>',
    "<mj-image src=file:///etc/passwd />",
    '<mj-image SRC="FILE:///etc/passwd" />',
    "<mj-image src=\"{{ 'javascript:alert(1)' }}\" />",
    "<mj-image src=\"{{ '' }}data:text/html,x\" />",
    '<mj-image src="mailto:someone@example.com" />',
    '<mj-image src="#top" />',
    '<mj-image src="https://cdn.example.com/a.png" srcset="https://cdn.example.com/a.png 1x, file:///b.png 2x" />',
    '<mj-carousel><mj-carousel-image src="https://cdn.example.com/a.png" thumbnails-src="file:///x.png" /></mj-carousel>',
    '<mj-carousel left-icon="data:image/png;base64,AAAA"><mj-carousel-image src="https://cdn.example.com/a.png" /></mj-carousel>',
    '<mj-carousel><mj-carousel-image src="https://cdn.example.com/a.png" href="javascript:x" /></mj-carousel>',
    '<mj-social><mj-social-element src="ftp://icons.example.com/x.png" href="https://example.com">x</mj-social-element></mj-social>',
    '<mj-social><mj-social-element href="javascript:alert(1)">x</mj-social-element></mj-social>',
    '<mj-navbar><mj-navbar-link href="data:text/html,hi">x</mj-navbar-link></mj-navbar>',
    '<mj-navbar base-url="file:///"><mj-navbar-link href="https://example.com">x</mj-navbar-link></mj-navbar>',
    '<mj-accordion><mj-accordion-element icon-wrapped-url="file:///x.png"><mj-accordion-title>T</mj-accordion-title><mj-accordion-text>x</mj-accordion-text></mj-accordion-element></mj-accordion>',
    '<mj-text><a href="javascript:alert(1)">x</a></mj-text>',
    '<mj-text><img src="data:image/png;base64,AAAA"></mj-text>',
    '<mj-text><table background="file:///etc/passwd"><tr><td>x</td></tr></table></mj-text>',
    '<mj-text><div style="background-image:url(file:///etc/passwd)">x</div></mj-text>',
]

SECTION_URLS = [
    '<mj-section background-url="file:///etc/passwd"><mj-column><mj-text>x</mj-text></mj-column></mj-section>',
    "<mj-hero background-url='data:image/png;base64,AAAA'><mj-text>x</mj-text></mj-hero>",
    '<mj-wrapper background-url="javascript:alert(1)"><mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section></mj-wrapper>',
]


def _in_column(element: str) -> str:
    return f"<mj-section>\n<mj-column>\n{element}\n</mj-column>\n</mj-section>"


@pytest.mark.parametrize("element", BAD_URLS)
def test_url_attribute_that_is_not_http_is_refused_with_its_line(element):
    result = validate(TemplateSource("Hi", "", _in_column(element)), BRAND, category="updates")
    assert any(e.kind == "link" and e.line == 3 for e in result.errors), result.errors
    assert result.html == ""


@pytest.mark.parametrize("element", SECTION_URLS)
def test_background_url_of_sections_heroes_and_wrappers_is_refused(element):
    body = f"\n{element}"
    result = validate(TemplateSource("Hi", "", body), BRAND, category="updates")
    assert any(e.kind == "link" and e.line == 2 for e in result.errors), result.errors


def test_defaults_in_mj_attributes_and_html_attributes_are_checked():
    document = (
        "<mjml>\n<mj-head>\n<mj-attributes>\n"
        '<mj-all background-url="file:///etc/passwd" />\n'
        '<mj-class name="evil" href="javascript:alert(1)" />\n'
        "</mj-attributes>\n"
        '<mj-font name="X" href="file:///fonts.css" />\n'
        '<mj-html-attributes><mj-selector path=".x"><mj-html-attribute name="href">javascript:alert(1)</mj-html-attribute></mj-selector></mj-html-attributes>\n'
        "</mj-head>\n<mj-body><mj-section><mj-column><mj-text>{{ unsubscribe_url }}</mj-text></mj-column></mj-section></mj-body>\n</mjml>"
    )
    result = validate(TemplateSource("Hi", "", document), BRAND, category="updates")
    lines = sorted(e.line for e in result.errors if e.kind == "link")
    assert lines == [4, 5, 7, 8], result.errors


def test_a_url_set_in_a_variable_is_caught_by_the_sample_render():
    body = _in_column("{% set u = 'file:///etc/passwd' %}<mj-image src=\"{{ u }}\" />")
    result = validate(TemplateSource("Hi", "", body), BRAND, category="updates")
    assert [e.kind for e in result.errors] == ["link"]
    assert "file:///etc/passwd" in result.errors[0].message


GOOD_URLS = [
    '<mj-image src="https://cdn.example.com/a.png" href="https://example.com" />',
    '<mj-image src="http://cdn.example.com/a.png" />',
    '<mj-button href="{{ invite_url }}">Go</mj-button>',
    '<mj-button href="mailto:jobs@example.com">Mail us</mj-button>',
    '<mj-button href="#details">Details</mj-button>',
    '<mj-image src="https://cdn.example.com/{{ job.title|urlencode }}.png" />',
    '<mj-text>{% set src = "plain words" %}{{ src }}</mj-text>',
]


@pytest.mark.parametrize("element", GOOD_URLS)
def test_allowed_urls_pass(element):
    result = validate(TemplateSource("Hi", "", _in_column(element)), BRAND, category="updates")
    assert result.errors == [], result.errors


# --- through the studio and the API, on the real database ---------------------------------------

THROUGH_THE_APP = {
    "power tower": (HOSTILE["power tower"], "Whole numbers are limited to 40 digits."),
    "format width": (HOSTILE["format width"], "limited to 1,000"),
    "macro doubling": (HOSTILE["macro doubling"], "longer than"),
    "join of a repeated list": (HOSTILE["join of a repeated list"], "characters"),
    "unknown filter": ("{{ candidate.first_name|nosuchfilter }}", "Unknown filter “nosuchfilter”."),
    "unknown test": (
        "{% if candidate.first_name is nosuchtest %}a{% endif %}",
        "Unknown test “nosuchtest”.",
    ),
    "hidden unknown filter": (
        "{% if false %}{{ 1|hidden }}{% endif %}",
        "Unknown filter “hidden”.",
    ),
    "file background": (
        '</mj-text><mj-image src="file:///etc/passwd" /><mj-text>',
        "file:///etc/passwd",
    ),
}


def _studio_form(body_line: str) -> dict:
    return {
        "name": "Hostile",
        "type": "follow_up",
        "category": "updates",
        "subject": "Hello",
        "preheader": "",
        "body_mjml": source(body_line).body_mjml,
        "body_text": "",
        "note": "",
    }


@pytest.mark.parametrize("payload, message", THROUGH_THE_APP.values(), ids=THROUGH_THE_APP.keys())
def test_studio_preview_and_save_show_the_error_with_its_line(logged_in, payload, message):
    timeout = current_limits().seconds + SLACK
    preview, seconds = _elapsed(
        lambda: logged_in.post("/templates/preview", data=_studio_form(payload))
    )
    assert preview.status_code == 200 and seconds < timeout
    page = preview.get_data(as_text=True)
    assert message in page and "Line 3" in page, page[:2000]

    saved, seconds = _elapsed(lambda: logged_in.post("/templates/", data=_studio_form(payload)))
    assert saved.status_code == 422 and seconds < timeout
    page = saved.get_data(as_text=True)
    assert message in page and "Line 3" in page


@pytest.mark.parametrize("payload, message", THROUGH_THE_APP.values(), ids=THROUGH_THE_APP.keys())
def test_api_refuses_the_template_with_422_and_the_line(api, payload, message):
    body = {"name": "Hostile", "type": "follow_up", "category": "updates", "subject": "Hi",
            "body_mjml": source(payload).body_mjml}  # fmt: skip
    response, seconds = _elapsed(lambda: api.post("/templates", json=body))
    assert response.status_code == 422, response.json
    assert seconds < current_limits().seconds + SLACK
    errors = [(e["field"], e["message"]) for e in response.json["errors"]]
    assert any(field == "body_mjml" and text.startswith("line 3: ") and message in text
               for field, text in errors), errors  # fmt: skip
