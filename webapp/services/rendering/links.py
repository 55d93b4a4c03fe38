"""Links in the HTML: rewriting for click tracking, and the rules on what a link may be."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

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
        tag = anchor.group(0)
        if OPT_OUT.search(tag):
            return tag
        href = HREF.search(tag)
        if href is None:
            return tag
        url = html.unescape(href.group(3)).strip()
        if not TRACKABLE.match(url) or url in skipped:
            return tag
        new = html.escape(rewriter(url, len(links)), quote=True)
        links.append(url)
        return f"{tag[: href.start(3)]}{new}{tag[href.end(3) :]}"

    return ANCHOR.sub(replace_anchor, document), links


ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
SOURCE_LINK = re.compile(r"""\b(?:href|src)\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


def bad_links(source: str) -> list[tuple[int, str]]:
    """(line, url) for every link in the source that is not http(s), mailto: or a placeholder."""
    found = []
    for match in SOURCE_LINK.finditer(source):
        url = match.group(2).strip()
        if not url or url.startswith("{{") or url.lower().startswith(ALLOWED_SCHEMES):
            continue
        if url.startswith("#"):
            continue
        found.append((source[: match.start()].count("\n") + 1, url))
    return found
