"""A structure's HTML cut once into pieces, so a recipient's tracked HTML is a join.

Sending a structure (``structures.py``) used to fill the markers into the whole HTML with a
regular expression and then scan that HTML again for ``<a href>`` to rewrite (``links``):
two passes over ~30 kB per recipient. Here the marked HTML is cut once into static text,
markers and anchors: an anchor without markers has its URL read once, an anchor with markers
is filled and rewritten alone. A recipient's HTML is the pieces joined, with the same links in
the same order, exactly what ``rewrite_links(filled html)`` gives.

That holds because the values never change where a tag starts or ends: printed values are
HTML-escaped (no ``<`` or ``>``), a value marked safe that holds one takes the two passes, and
a structure with a marker right after ``<`` or ``<a`` (where a value could begin a tag name)
is never cut (``structures``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from webapp.services.rendering.links import ANCHOR, rewrite_anchor, trackable

_Link = Callable[[str, int], str]


@dataclass(frozen=True)
class _Anchor:
    tag: str  # as in the structure (without markers) or marked (with markers)
    marked: bool
    url: str = ""  # static, trackable: the URL, and the tag around its href value
    before: str = ""
    after: str = ""


class Spliced:
    """The pieces of one structure's marked HTML: strings, marker numbers and anchors."""

    def __init__(self, marked_html: str, marker: re.Pattern[str]) -> None:
        self.marker = marker
        self.pieces: list[str | int | _Anchor] = []
        self.static_bytes = 0  # UTF-8 length of the pieces without markers
        position = 0
        for match in ANCHOR.finditer(marked_html):
            self._text(marked_html[position : match.start()])
            tag = match.group(0)
            if marker.search(tag):
                self.pieces.append(_Anchor(tag, marked=True))
            else:
                self.static_bytes += len(tag.encode())
                found = trackable(tag)
                self.pieces.append(
                    _Anchor(tag, False, *found) if found else tag  # type: ignore[arg-type]
                )
            position = match.end()
        self._text(marked_html[position:])

    def _text(self, text: str) -> None:
        for index, part in enumerate(self.marker.split(text)):
            if index % 2:
                self.pieces.append(int(part))
            elif part:
                self.pieces.append(part)
                self.static_bytes += len(part.encode())

    def join(
        self, values: list[object], printed: list[str], rewrite: _Link, skip: set[str]
    ) -> tuple[str, list[str], int] | None:
        """The recipient's HTML with its links rewritten, the links, and the UTF-8 length
        of the HTML before rewriting; None when a value marked safe holds a tag bracket (the
        caller fills and rewrites the whole HTML)."""
        if any(isinstance(v, Markup) and ("<" in v or ">" in v) for v in values):
            return None
        out: list[str] = []
        links: list[str] = []
        size = self.static_bytes
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
            elif isinstance(piece, int):
                out.append(printed[piece])
                size += len(printed[piece].encode())
            elif piece.marked:
                filled = self.marker.sub(lambda match: printed[int(match.group(1))], piece.tag)
                size += len(filled.encode())
                out.append(rewrite_anchor(filled, rewrite, skip, links))
            elif piece.url in skip:
                out.append(piece.tag)
            else:
                new = html.escape(rewrite(piece.url, len(links)), quote=True)
                links.append(piece.url)
                out.append(f"{piece.before}{new}{piece.after}")
        return "".join(out), links, size
