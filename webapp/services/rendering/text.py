"""The plain-text part, derived from the HTML when the template has none."""

from __future__ import annotations

import re

import html2text

from webapp.services.rendering.limits import current_budget

CHUNK = 16_384  # html2text is pure Python: feed it in pieces and check the deadline between

PREVIEW = re.compile(r'<div style="display:none;[^"]*">.*?</div>', re.DOTALL)
HEAD = re.compile(r"<head\b.*?</head>", re.DOTALL | re.IGNORECASE)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
BLANK_LINES = re.compile(r"\n{3,}")


JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _keep_tags(comment: re.Match[str]) -> str:
    # MJML puts what sits between two sections (an ``{% if %}`` around one) inside Outlook's
    # conditional comments: the text template needs those tags, or its blocks come apart.
    return " ".join(JINJA_TAG.findall(comment.group(0)))


ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a\s*>", re.DOTALL | re.IGNORECASE)
HREF = re.compile(r"""\bhref\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)


def _link_in_text_order(anchor: re.Match[str]) -> str:
    href = HREF.search(anchor.group(1))
    return f"{anchor.group(2)} {href.group(1) if href else ''}"


def in_text_order(document: str) -> str:
    """The document with each link's text before its address, as the text converter writes a
    link (``[text](href)``): for comparing the Jinja tags of both, in order (a translated
    label, ``<a href="{{ url }}">{{ _("Unsubscribe") }}</a>``, has tags in both places)."""
    return ANCHOR.sub(_link_in_text_order, document)


def text_relevant(document: str) -> str:
    """The part of the HTML that the text version is made from (no head, preview, comments;
    Jinja tags inside comments stay)."""
    return COMMENT.sub(_keep_tags, HEAD.sub("", PREVIEW.sub("", document, count=1)))


def html_to_text(document: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.protect_links = False
    converter.unicode_snob = True
    budget = current_budget()
    relevant = text_relevant(document)
    converter.start = True
    for start in range(0, len(relevant), CHUNK):
        converter.feed(relevant[start : start + CHUNK])
        budget.check_time()
    converter.feed("")
    return tidy_derived(converter.optwrap(converter.finish()))


INNER_SPACES = re.compile(r"(?<=\S) {2,}")


def tidy_derived(text: str) -> str:
    """``tidy_text`` for a text part made from HTML, where runs of spaces inside a line are
    one space (HTML collapses them; placeholders filled after the conversion may not)."""
    return tidy_text(INNER_SPACES.sub(" ", text))


def tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
