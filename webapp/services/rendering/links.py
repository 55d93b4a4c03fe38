"""Links in the HTML: rewriting for click tracking, and the rules on what a link may be."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from webapp.services.rendering.types import RenderError

ANCHOR = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
HREF = re.compile(r"""(\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
OPT_OUT = re.compile(r"\bdata-notrack\b", re.IGNORECASE)
TRACKABLE = re.compile(r"^https?://", re.IGNORECASE)


def rewrite_links(
    document: str, rewriter: Callable[[str, int], str], skip: Iterable[str] = ()
) -> tuple[str, list[str]]:
    """Replace each trackable ``<a href>`` with ``rewriter(url, index)``; return the URLs."""
    skipped = {url for url in skip if url}
    links: list[str] = []

    def replace_anchor(anchor: re.Match[str]) -> str:
        return rewrite_anchor(anchor.group(0), rewriter, skipped, links)

    return ANCHOR.sub(replace_anchor, document), links


def rewrite_anchor(
    tag: str, rewriter: Callable[[str, int], str], skipped: set[str], links: list[str]
) -> str:
    """One ``<a …>`` tag with its URL rewritten (and appended to ``links``) when trackable."""
    found = trackable(tag)
    if found is None or found[0] in skipped:
        return tag
    url, before, after = found
    new = html.escape(rewriter(url, len(links)), quote=True)
    links.append(url)
    return f"{before}{new}{after}"


def trackable(tag: str) -> tuple[str, str, str] | None:
    """(URL, the tag before its ``href`` value, the tag after it) when the anchor is tracked:
    an http(s) ``href`` and no ``data-notrack``."""
    if OPT_OUT.search(tag):
        return None
    href = HREF.search(tag)
    if href is None:
        return None
    url = html.unescape(href.group(3)).strip()
    if not TRACKABLE.match(url):
        return None
    return url, tag[: href.start(3)], tag[href.end(3) :]


# Every attribute of MJML (and of the HTML inside mj-text / mj-raw) whose value is fetched or
# followed: mj-image, mj-button, mj-carousel(-image), mj-social-element, mj-navbar(-link),
# mj-accordion(-element), mj-hero / mj-section / mj-wrapper backgrounds, mj-font, and the same
# names as defaults in mj-attributes / mj-all / mj-class.
LINK_ATTRIBUTES = frozenset(["href", "xlink:href"])  # may also be mailto: or #fragment
URL_ATTRIBUTES = LINK_ATTRIBUTES | frozenset(
    ["src", "srcset", "background-url", "background", "base-url", "left-icon", "right-icon",
     "thumbnails-src", "icon-wrapped-url", "icon-unwrapped-url", "poster", "action",
     "formaction", "cite", "longdesc", "lowsrc", "dynsrc", "data", "codebase", "usemap"]
)  # fmt: skip
ATTRIBUTE = re.compile(
    r"(?<![\w:.-])("
    + "|".join(sorted(map(re.escape, URL_ATTRIBUTES), key=len, reverse=True))
    + r")\s*=\s*(['\"]?)",
    re.IGNORECASE,
)
HTML_ATTRIBUTE = re.compile(
    r"<mj-html-attribute\b[^>]{0,500}?\bname\s*=\s*['\"]\s*([\w:-]+)\s*['\"][^>]{0,500}>",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"\burl\(\s*(['\"]?)|@import\s+(['\"])", re.IGNORECASE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
QUOTED = re.compile(r"""(["'])(.*?)\1""")
INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
STATEMENT = re.compile(r"\{[%#]")
MAX_URL = 4_000  # longer values are refused: no address needs more
MAX_FINDINGS = 50


def bad_links(source: str) -> list[tuple[int, str, str]]:
    """(line, attribute, value) for every URL in the source that is not allowed there.

    Links (``href``) may be http(s), ``mailto:``, a ``#fragment`` or a placeholder; every other
    URL attribute (images, backgrounds, icons, fonts…) and CSS ``url()`` only http(s) or a
    placeholder. ``javascript:``, ``data:``, ``file:`` and the like are refused however they
    are spelt (entities, spaces, case).
    """
    found = []
    for position, attribute, value in _url_values(without_statements(source)):
        if not allowed_url(value, link=attribute in LINK_ATTRIBUTES):
            found.append((position, attribute, value))
    found.sort()
    lines, line, last = [], 1, 0
    for position, attribute, value in found[:MAX_FINDINGS]:
        line += source.count("\n", last, position)
        last = position
        lines.append((line, attribute, value[:80]))
    return lines


def without_statements(source: str) -> str:
    """The source with ``{% … %}`` and ``{# … #}`` blanked (lines kept), so that
    ``{% set src = … %}`` is not read as an attribute. Linear: no regex backtracking."""
    parts, position = [], 0
    while opening := STATEMENT.search(source, position):
        start = opening.start()
        end = source.find("%}" if source[start + 1] == "%" else "#}", start + 2)
        end = len(source) if end < 0 else end + 2
        parts.append(source[position:start])
        parts.append(_blank(source[start:end]))
        position = end
    parts.append(source[position:])
    return "".join(parts)


def _blank(chunk: str) -> str:
    """Same length and newlines; word characters (cheap for the attribute scan) ending in a
    space, so whatever follows still starts a word of its own."""
    return "\n".join("_" * len(line) for line in chunk.split("\n"))[:-1] + " "


def link_problem(line: int | None, attribute: str, url: str) -> RenderError:
    """The author-facing error for a URL that is not allowed where it is."""
    if attribute in LINK_ATTRIBUTES:
        allowed = "use https://, mailto: or a placeholder such as {{ invite_url }}"
        return RenderError(line, f"Link “{url}” is not allowed: {allowed}.", "link")
    return RenderError(
        line,
        f"{attribute} “{url}” is not allowed: images, backgrounds and other addresses must be "
        "https:// (or http://) or a placeholder.",
        "link",
    )


def _url_values(source: str):
    covered = 0  # values never overlap, so each character is read about once
    for match in ATTRIBUTE.finditer(source):
        if match.start() < covered:
            continue
        attribute = match.group(1).lower()
        value = _value_at(source, match.end(), match.group(2))
        covered = match.end() + len(value)
        values = value.split(",") if attribute == "srcset" else [value]
        for item in values:
            yield (
                match.start(),
                attribute,
                item.strip().split(" ")[0] if attribute == "srcset" else item,
            )
    for match in HTML_ATTRIBUTE.finditer(source):
        attribute = match.group(1).lower()
        if attribute in URL_ATTRIBUTES:
            yield match.start(), attribute, _value_at(source, match.end(), "<")
    covered = 0
    for match in CSS_URL.finditer(source):
        if match.start() < covered:
            continue
        quote = match.group(1) or match.group(2) or ")"
        value = _value_at(source, match.end(), quote)
        covered = match.end() + len(value)
        yield match.start(), "url()", value


def _value_at(source: str, start: int, quote: str) -> str:
    """The value from ``start`` to its closing ``quote`` (unquoted: to a space or ``>``)."""
    window = source[start : start + MAX_URL + 1]
    if quote:
        end = window.find(quote)
        return window if end < 0 else window[:end]
    unquoted = re.match(r"[^\s>]*", window)
    return unquoted.group(0) if unquoted else ""


def allowed_url(value: str, *, link: bool) -> bool:
    if len(value) > MAX_URL:
        return False
    url = INVISIBLE.sub("", html.unescape(value))
    if not url:
        return True
    if url.startswith("{{"):
        return _allowed_placeholder(url)
    lowered = url.lower()
    if lowered.startswith(("https://", "http://")):
        return True
    return link and (lowered.startswith("mailto:") or url.startswith("#"))


def _allowed_placeholder(url: str) -> bool:
    """``{{ invite_url }}``, ``{{ x }}/path``: allowed, unless the placeholder or the text right
    after it spells a scheme of its own (``{{ 'javascript:…' }}``, ``{{ '' }}data:…``)."""
    end = url.find("}}")
    if end < 0:
        return False
    for _, text in QUOTED.findall(url[2:end]):
        scheme = SCHEME.match(INVISIBLE.sub("", text))
        if scheme and scheme.group(0).lower() not in ("http:", "https:", "mailto:"):
            return False
    return SCHEME.match(url[end + 2 :]) is None
