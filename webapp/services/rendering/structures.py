"""Compile once per *structure* when a template cannot be compiled once outright.

When MJML's output depends on what the Jinja tags produce (a block around sections, a loop
over columns), Jinja must run over the MJML first. But recipients mostly differ in the
values they print, not in which blocks are taken. So Jinja runs with every printed value
replaced by a numbered marker; the marked document is the *structure*, the same for every
recipient who takes the same branches. Each structure is compiled by MJML and turned into
text once; a recipient's HTML and text are the structure's with the markers replaced by the
recipient's values (HTML-escaped in the HTML, as Jinja would have printed them).

The replacement is exact only where MJML and the text converter copy a value untouched, so
a structure is used only when every marker sits in element content or in an attribute MJML
copies (``href``, ``src``…), and a recipient's text only when the values are plain (no
markup, backslash, line break or run of spaces, nothing a text converter would rewrite).
Otherwise that recipient gets the full render (the markers filled into the MJML, compiled).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template
from markupsafe import Markup, escape

from webapp.services.rendering import mjml as mjml_step
from webapp.services.rendering.limits import RenderLimitError, current_limits
from webapp.services.rendering.sandbox import environment
from webapp.services.rendering.spliced import Spliced
from webapp.services.rendering.text import html_to_text

MARK = "hrldmk"
MARKER = re.compile(rf"{MARK}(\d+)z")
MAX_STRUCTURES = 64  # per compiled template; past this, recipients get the full render
PLAIN = re.compile(r"^[^\\\n\r\t]*$")
LIST_LIKE = re.compile(r"^(\d|[+\-])")
LINE_START = re.compile(rf"^[ \t]*{MARK}(\d+)z", re.MULTILINE)
DOUBLE_SPACE = "  "
TAG = re.compile(r"<[^>]*>")
TAG_NAME_MARKER = re.compile(rf"<[aA]?{MARK}\d+z")  # a value could begin a tag name there

Links = tuple[Callable[[str, int], str], set[str]]  # the link rewriter, URLs it leaves alone
_values: ContextVar[list[Any] | None] = ContextVar("herald_marked_values", default=None)


def _mark(value: Any) -> Any:
    values = _values.get()
    if values is None:  # not rendering through ``fill``: print as Jinja would
        return value
    values.append(value)
    return Markup(f"{MARK}{len(values) - 1}z")  # noqa: S704 - a marker of our own, no input


def marking_environment(*, html: bool):
    """The sending sandbox whose printed values can be replaced by markers (see ``fill``)."""
    return environment(False, html=html).overlay(finalize=_mark)


def fill_text(template: Template, data: dict[str, Any], run) -> str | None:
    """A text template (made from the compiled HTML) for one recipient, or ``None`` when a
    value is not plain: the text converter would have printed it differently."""
    values: list[Any] = []
    token = _values.set(values)
    try:
        marked = run(template, data)
    finally:
        _values.reset(token)
    if marked is None:
        return None
    starts = {int(n) for n in LINE_START.findall(marked)}
    if not all(_plain(value, n in starts) for n, value in enumerate(values)):
        return None
    return _fill(marked, [_as_text(value) for value in values])


@dataclass
class Filled:
    """One recipient's HTML (its links rewritten when ``links`` is set) and text."""

    html: str
    links: list[str] | None = None  # None: the links are still to be rewritten
    html_bytes: int | None = None  # of the HTML before rewriting, when it was
    text: str = ""


@dataclass
class Structure:
    html: str | None  # the structure's HTML with markers; None: markers not all safe
    text: str | None = None
    line_starts: set[int] = field(default_factory=set)  # markers that begin a text line
    in_tags: frozenset[int] = frozenset()  # markers inside tags, in attribute values
    spliced: Spliced | None = None  # the HTML cut for filling and link rewriting
    can_splice: bool = True


class Structures:
    """The marked MJML template of one compiled template and its cache of structures."""

    def __init__(self, document: str) -> None:
        self.template: Template = marking_environment(html=True).from_string(document)
        self.cache: dict[str, Structure] = {}
        self.lock = threading.Lock()

    def fill(
        self, data: dict[str, Any], run, *, text: bool, links: Links | None = None
    ) -> Filled | None:
        """The HTML and text for one recipient (text "" unless ``text``); ``run(template,
        data)`` renders under the caps and returns None on a template error. With ``links``
        (the rewriter and the URLs it leaves alone) the HTML is filled and its links
        rewritten in one go (``spliced``) when the structure allows."""
        values: list[Any] = []
        token = _values.set(values)
        try:
            marked = run(self.template, data)
        finally:
            _values.reset(token)
        if marked is None:
            return None
        printed = [str(escape(value)) for value in values]
        most = current_limits().max_output
        if sum(map(len, printed)) + len(marked) > most:
            raise RenderLimitError(f"The output passed the size limit ({most:,} characters).")
        structure = self._structure(marked)
        if structure.html is None or not all(_copied(printed[n]) for n in structure.in_tags):
            html = mjml_step.compile_mjml(_fill(marked, printed))
            return Filled(html, text=html_to_text(html) if text else "")
        tracked = _spliced(structure, values, printed, links) if links else None
        filled = Filled(*tracked) if tracked else Filled(_fill(structure.html, printed))
        if not text:
            return filled
        if structure.text is None:
            structure.text = html_to_text(structure.html)
            structure.line_starts = {int(n) for n in LINE_START.findall(structure.text)}
        if all(_plain(v, n in structure.line_starts) for n, v in enumerate(values)):
            filled.text = _fill(structure.text, [_as_text(value) for value in values])
        else:
            untracked = filled.html if tracked is None else _fill(structure.html, printed)
            filled.text = html_to_text(untracked)
        return filled

    def _structure(self, marked: str) -> Structure:
        with self.lock:
            found = self.cache.get(marked)
        if found is not None:
            return found
        html = mjml_step.compile_mjml(marked)
        safe = mjml_step.fast_path_document(MARKER.sub("{{ x }}", marked)) is not None
        kept = safe and _same_markers(marked, html)
        structure = Structure(html, in_tags=_in_tags(html)) if kept else Structure(None)
        with self.lock:
            if len(self.cache) < MAX_STRUCTURES:
                self.cache[marked] = structure
        return structure


def _spliced(structure: Structure, values, printed, links: Links):
    """(html, links, bytes before rewriting), or None: the caller fills and rewrites."""
    if structure.spliced is None and structure.can_splice:
        structure.can_splice = TAG_NAME_MARKER.search(structure.html) is None
        if structure.can_splice:
            structure.spliced = Spliced(structure.html, MARKER)
    if structure.spliced is None:
        return None
    rewriter, skip = links
    return structure.spliced.join(values, printed, rewriter, skip)


def _same_markers(marked: str, html: str) -> bool:
    return set(MARKER.findall(marked)) == set(MARKER.findall(html))


def _fill(text: str, values: list[str]) -> str:
    return MARKER.sub(lambda match: values[int(match.group(1))], text)


def _copied(printed: str) -> bool:
    """True when MJML copies the value of an attribute as it is: it writes backslashes,
    control and format characters, non-breaking spaces and combining marks as escapes
    (``\\u{301}``); a recipient with such a value there gets the full render."""
    if "\\" in printed or not printed.isprintable():
        return False
    return printed.isascii() or not any(unicodedata.category(c)[0] == "M" for c in printed)


def _in_tags(html: str) -> frozenset[int]:
    """The markers inside tags (attribute values) of a structure's HTML."""
    return frozenset(int(n) for tag in TAG.findall(html) for n in MARKER.findall(tag))


def _as_text(value: Any) -> str:
    """A plain value as the text converter prints it: a no-break space (French punctuation
    in the catalogs, ``Quand\xa0:``) becomes a space."""
    return str(value).replace("\xa0", " ")


def _plain(value: Any, starts_line: bool) -> bool:
    """True when the text converter would print ``value`` as it is (``_as_text``): no markup,
    backslash or odd whitespace, and where it starts a line, neither empty nor a list marker."""
    if isinstance(value, Markup) and ("<" in value or "&" in value):
        return False  # markup the converter reads (a translated phrase is Markup, mostly plain)
    text = _as_text(value)
    if not PLAIN.match(text) or DOUBLE_SPACE in text or text != text.strip():
        return False
    return not (starts_line and (not text or LIST_LIKE.match(text)))
