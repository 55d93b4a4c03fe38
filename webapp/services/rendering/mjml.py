"""MJML: the shared brand layout, compilation with mjml-python, and the checks around it.

Templates are usually a *fragment* (``<mj-section>`` elements): it is placed inside the shared
layout (``templates/emails/layout.mjml``), which applies the brand and adds the footer with the
postal address and the unsubscribe and preference links. A source that starts with ``<mjml``
is a complete document and is compiled as it is (it must then carry its own unsubscribe link).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import mjml as mjml_python

from webapp.services.languages import direction
from webapp.services.rendering.types import BrandData, RenderError

EMAILS_DIR = Path(__file__).resolve().parents[3] / "templates" / "emails"
CONTENT_MARK = "<!--herald:content-->"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT_SAFE = re.compile(r"^[A-Za-z0-9 ,'\"\-]{1,200}$")
INCLUDE = re.compile(r"<\s*mj-include\b", re.IGNORECASE)
LANG_SAFE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
MJML_OPENING = re.compile(r"\s*<mjml\b[^>]*>", re.IGNORECASE)
LANG_ATTRIBUTE = re.compile(r"\slang\s*=", re.IGNORECASE)
DIR_ATTRIBUTE = re.compile(r"\sdir\s*=", re.IGNORECASE)


class MjmlError(Exception):
    pass


def is_document(body: str) -> bool:
    return body.lstrip().lower().startswith("<mjml")


@lru_cache(maxsize=1)
def layout_source() -> str:
    return (EMAILS_DIR / "layout.mjml").read_text(encoding="utf-8")


def layout_offset() -> int:
    """Lines of the layout before the author's content (to report the author's line numbers)."""
    before = layout_source().split(CONTENT_MARK, 1)[0]
    return before.count("\n")


def _text(value: str) -> str:
    """Brand text as MJML text: HTML-escaped, and braces kept away from Jinja."""
    escaped = html.escape(value, quote=True)
    return escaped.replace("{", "&#123;").replace("}", "&#125;").replace("\n", "<br>")


def _colour(value: str, fallback: str) -> str:
    return value if HEX_COLOUR.match(value or "") else fallback


def _url(value: str) -> str:
    return _text(value) if value.startswith("https://") or value.startswith("http://") else ""


def apply_layout(body: str, brand: BrandData, language: str = "") -> str:
    """The MJML document for ``body``: the body itself or the body inside the brand layout,
    with the email's ``lang`` and direction (right to left for Arabic, Hebrew, Persian, Urdu)."""
    lang = language if LANG_SAFE.match(language or "") else "en"
    rtl = direction(lang) == "rtl"
    if is_document(body):
        return _document_language(body, lang, "rtl" if rtl else "ltr")
    align = "right" if rtl else "left"
    logo = _url(brand.logo_url)
    header = (
        f'<mj-image src="{logo}" alt="{_text(brand.org_name)}" width="160px" align="{align}" '
        'padding="0 0 8px 0" />'
        if logo
        else f'<mj-text css-class="brand-name" font-size="20px" font-weight="700" '
        f'padding="0 0 8px 0">{_isolated(brand.org_name, rtl)}</mj-text>'
    )
    values = {
        "%%HEADER%%": header,
        "%%PRIMARY%%": _colour(brand.primary_color, "#2563eb"),
        "%%TEXT%%": _colour(brand.text_color, "#111827"),
        "%%BACKGROUND%%": _colour(brand.background_color, "#f3f4f6"),
        "%%FONT%%": brand.font_family if FONT_SAFE.match(brand.font_family or "") else "Arial",
        "%%FOOTER%%": _isolated(brand.footer_text, rtl),
        "%%ADDRESS%%": _isolated(brand.postal_address, rtl),
        "%%ORG_TEXT%%": _isolated(brand.org_name, rtl),
        "%%ORG%%": _text(brand.org_name),
        "%%LANG%%": lang,
        "%%DIR%%": "rtl" if rtl else "ltr",
        "%%ALIGN%%": align,
    }
    document = layout_source()
    for mark, value in values.items():
        document = document.replace(mark, value)
    return document.replace(CONTENT_MARK, body)


def _isolated(value: str, rtl: bool) -> str:
    """Brand text in a right-to-left email keeps its own direction ("1 Main Street" would
    otherwise read "Main Street 1")."""
    text = _text(value)
    return f'<span dir="auto">{text}</span>' if rtl and text else text


def _document_language(body: str, lang: str, writing: str) -> str:
    """A complete document keeps the ``lang`` and ``dir`` it sets; the others get them."""
    opening = MJML_OPENING.match(body)
    if opening is None:
        return body
    tag = opening.group(0)
    extra = "" if LANG_ATTRIBUTE.search(tag) else f' lang="{lang}"'
    extra += "" if DIR_ATTRIBUTE.search(tag) else f' dir="{writing}"'
    return body[: opening.end() - 1] + extra + body[opening.end() - 1 :]


# mjml-python's parser recurses once per open tag and runs out of stack (the process dies)
# somewhere past a thousand levels; no email needs more than a few dozen.
MAX_DEPTH = 300
TAG_OPENING = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^<>]*>?")
VOID_TAGS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"]
)  # fmt: skip


def nesting_depth(document: str) -> int:
    """How many tags are open at once at the deepest point (linear: no backtracking)."""
    depth = deepest = 0
    for match in TAG_OPENING.finditer(document):
        if match.group(1):
            depth = max(depth - 1, 0)
        elif match.group(2).lower() not in VOID_TAGS and not match.group(0).endswith("/>"):
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def compile_mjml(document: str) -> str:
    if INCLUDE.search(document):
        raise MjmlError("<mj-include> is not allowed: paste the content into the template.")
    if nesting_depth(document) > MAX_DEPTH:
        raise MjmlError(f"Tags are nested more than {MAX_DEPTH} deep.")
    try:
        return mjml_python.mjml2html(document)
    except Exception as exc:  # mjml-python raises a bare exception type with the parser message
        raise MjmlError(_clean_message(str(exc))) from exc


def _clean_message(message: str) -> str:
    return " ".join(message.split())[:300] or "The MJML could not be compiled."


def tokens_survive(source: str, compiled_html: str) -> bool:
    """True when every Jinja tag of ``source`` is in the HTML unchanged and in the same order."""
    return jinja_tokens(source) == jinja_tokens(compiled_html)


TOKEN_START = re.compile(r"\{[{%#]")
CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}


def jinja_tokens(text: str) -> list[str]:
    """The ``{{ }}``, ``{% %}`` and ``{# #}`` tags of ``text``, in order. Linear in the length
    of ``text`` (a lazy regex rescans to the end for every tag that is never closed)."""
    tokens, position, unclosed = [], 0, set()
    while match := TOKEN_START.search(text, position):
        start, kind = match.start(), text[match.start() + 1]
        end = -1 if kind in unclosed else text.find(CLOSERS[kind], start + 2)
        if end < 0:
            unclosed.add(kind)  # no closer further on: no later tag of this kind closes
            position = start + 1
            continue
        tokens.append(text[start : end + 2])
        position = end + 2
    return tokens


def mjml_error(exc: MjmlError, body: str) -> RenderError:
    line = _line_of_message(str(exc), body)
    return RenderError(line=line, message=f"MJML: {exc}", kind="mjml")


def _line_of_message(message: str, body: str) -> int | None:
    match = re.search(r"position (\d+)", message) or re.search(r"\bat (\d+)\b", message)
    if not match:
        return None
    position = int(match.group(1))
    return body[:position].count("\n") + 1 if position <= len(body) else None


MJ_TAG = re.compile(r"<(/?)(mj-[a-z-]+)\b((?:\"[^\"]*\"|'[^']*'|[^'\">])*?)(/?)>", re.IGNORECASE)
STATEMENT = re.compile(r"\s*(\{%.*?%\}|\{#.*?#\})\s*", re.DOTALL)
# Tags that print nothing and open no block: harmless anywhere in the structure.
SILENT = re.compile(r"^\{#.*#\}$|^\{%-?\s*set\s+[^%]*?=[^%]*%\}$", re.DOTALL)
# Elements whose content MJML copies as it is (HTML, text, CSS): Jinja there is only text.
ENDING = frozenset({
    "mj-text", "mj-button", "mj-raw", "mj-table", "mj-title", "mj-preview", "mj-style",
    "mj-navbar-link", "mj-accordion-title", "mj-accordion-text", "mj-social-element",
})  # fmt: skip
PASSED_ATTRIBUTES = frozenset({"href", "src", "alt", "title", "rel", "name"})
ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*')""")
# Parents whose children are plain table rows: a block around some of them changes no layout.
ROWS = frozenset({"mj-column", "mj-hero"})


def fast_path_document(document: str) -> str | None:
    """The document to compile once with its Jinja tags, or ``None`` when MJML's output would
    depend on what the tags produce: a block (``{% if %}``, ``{% for %}``) around sections or
    columns (MJML sizes columns and writes Outlook's table rows from how many there are), or
    a placeholder in an attribute MJML reads (padding, width, colours). Around elements of a
    column, a block's own line breaks are dropped: MJML drops the whitespace between
    elements, and the fast path must give the same bytes."""
    stack: list[str] = []
    pieces: list[str] = []
    position = 0
    for tag in MJ_TAG.finditer(document):
        closing, name, attributes, self_closing = tag.groups()
        name = name.lower()
        if stack and stack[-1] in ENDING and not (closing and name == stack[-1]):
            continue  # inside copied content
        if closing and name == "mj-title" and jinja_tokens(document[position : tag.start()]):
            return None  # MJML also writes the title, re-escaped, into an attribute
        between = document[position : tag.start()]
        if (between := _structural(between, stack[-1] if stack else "")) is None:
            return None
        if not _attributes_pass(attributes):
            return None
        pieces += [between, tag.group(0)]
        position = tag.end()
        if closing:
            if stack and stack[-1] == name:
                stack.pop()
        elif not self_closing:
            stack.append(name)
    rest = _structural(document[position:], "")
    return None if rest is None else "".join([*pieces, rest])


def _structural(text: str, parent: str) -> str | None:
    if parent in ENDING:
        return text
    tags = [match.group(1) for match in STATEMENT.finditer(text)]
    if not tags:
        return text
    if parent not in ROWS and not all(SILENT.match(tag) for tag in tags):
        return None
    return STATEMENT.sub(lambda match: match.group(1), text)


def _attributes_pass(attributes: str) -> bool:
    for name, value in ATTRIBUTE.findall(attributes):
        if jinja_tokens(value) and name.lower() not in PASSED_ATTRIBUTES:
            return False
    return "{%" not in ATTRIBUTE.sub("", attributes) and "{{" not in ATTRIBUTE.sub("", attributes)
