"""Every word of the dashboard is ready for translation (docs/i18n.md).

Each dashboard template is read the way Jinja reads it: the words between the tags (page text,
and the attributes a reader sees or hears — ``placeholder``, ``title``, ``alt``, ``aria-label``,
confirmations, button values) must come from ``_()`` or ``ngettext()``, and so must a string
literal that reads as a sentence (a capitalised word, or a full stop) handed to a macro or
printed. Code samples (``<code>``, ``<pre>``), scripts and styles are not text. The candidate
pages and emails have their own, stricter check: tests/test_i18n_catalogs.py.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import pytest
from jinja2 import Environment

from webapp.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
CANDIDATE_DIRS = ("emails", "public", "interviews")
DASHBOARD = sorted(
    p.relative_to(TEMPLATES).as_posix()
    for p in TEMPLATES.rglob("*.html")
    if p.relative_to(TEMPLATES).parts[0] not in CANDIDATE_DIRS
)
HOLE = "\ufffc"  # where an expression stood
SEEN_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "hx-confirm", "data-confirm",
                   "aria-description", "label"}  # fmt: skip
NOT_TEXT = {"code", "pre", "kbd", "samp", "script", "style"}
TRANSLATING_CALLS = {"_", "gettext", "ngettext", "N_"}
# Names and acronyms that read the same in every language.
SAME_EVERYWHERE = {
    "Herald", "CSV", "API", "SMTP", "DKIM", "SPF", "DMARC", "MJML", "JSON", "URL", "HTML",
    "IMAP", "RQ", "ID", "UTC", "SES", "SendGrid", "Mailgun", "Postmark", "HTMX", "ICS", "ics",
    "OK", "TLS", "STARTTLS", "DNS", "TXT", "CNAME", "MX", "Redis", "PostgreSQL", "Chart.js",
}  # fmt: skip
ATTRIBUTES_ONLY = re.compile(r'\s*([\w:-]+="[^"]*"\s*)+')  # a macro that prints attributes
WORD = re.compile(r"[^\W\d_][\w'\u2019.-]*")
# A literal reads as text: several words, a closing stop, or one capitalised word ("Save"; not
# "BooleanField").
SENTENCE = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}|[a-z]{2,}[.!?:…]$|^[A-Z][a-z]{2,}$")


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w.strip(".-'\u2019") not in SAME_EVERYWHERE]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in NOT_TEXT:
            self.hidden += 1
        attributes = dict(attrs)
        for name, value in attributes.items():
            shown = name in SEEN_ATTRIBUTES or (
                name == "value" and tag == "input"
                and attributes.get("type") in {"submit", "button", "reset"}
            )  # fmt: skip
            if shown and value and words(value):
                self.found.append(f'{tag} {name}="{value.strip()}"')

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in NOT_TEXT:
            self.hidden -= 1

    def handle_endtag(self, tag):
        if tag in NOT_TEXT and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and words(data) and not ATTRIBUTES_ONLY.fullmatch(data):
            self.found.append(" ".join(data.split()))


def _unmarked_literals(tokens: list[tuple[int, str, str]]) -> list[str]:
    """String literals that read as sentences and are not inside a translating call."""
    found, calls, previous = [], [], None
    for line, kind, value in tokens:
        if kind == "operator" and value in "([{":
            calls.append(previous if value == "(" else None)
        elif kind == "operator" and value in ")]}" and calls:
            calls.pop()
        elif kind in {"variable_end", "block_end"}:
            calls.clear()
        elif kind == "string" and not TRANSLATING_CALLS & set(calls):
            text = value[1:-1]  # the lexer keeps the quotes
            if SENTENCE.search(text) and words(text):
                found.append(f"line {line}: {text}")
        if kind not in {"whitespace"}:
            previous = value if kind == "name" else None
    return found


def unmarked(name: str) -> list[str]:
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    tokens = list(Environment(extensions=["jinja2.ext.i18n"], autoescape=True).lex(source, name))
    # An expression prints something (a hole); a tag ({% if %}) prints nothing itself.
    markup = "".join(value if kind == "data" else HOLE for _l, kind, value in tokens
                     if kind in {"data", "variable_begin"})  # fmt: skip
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return reader.found + _unmarked_literals(tokens)


def test_the_check_sees_the_dashboard():
    assert len(DASHBOARD) > 60
    assert {"base.html", "campaigns/wizard.html", "settings/members.html"} <= set(DASHBOARD)


def test_the_check_finds_unmarked_words(tmp_path, monkeypatch):
    sample = tmp_path / "sample.html"
    sample.write_text(
        '<h1>Candidates</h1><p>{{ _("Marked") }}</p><input placeholder="Search by name">'
        "<code>curl -H x</code>{{ empty_state('No candidates yet', url) }}"
        "{{ _('Fine %(n)s', n=fmt('Not text either')) }}<b>{{ c.name }} · CSV</b>",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "TEMPLATES", tmp_path)
    assert unmarked("sample.html") == [
        "Candidates", 'input placeholder="Search by name"', "line 1: No candidates yet",
    ]  # fmt: skip


@pytest.mark.parametrize("name", DASHBOARD)
def test_dashboard_words_are_marked(name):
    assert unmarked(name) == []
