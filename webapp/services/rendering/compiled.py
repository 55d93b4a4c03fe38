"""Compile once per (template revision, brand revision), render many times.

``compile_template`` does the recipient-independent work: it places the body in the brand
layout, compiles the Jinja parts, and tries the fast path: MJML → HTML once with the Jinja tags
still in it. When every tag survives MJML unchanged and in order, the HTML itself becomes the
Jinja template, and the text part is derived from it once (html2text keeps the tags too).
Otherwise (a tag inside an attribute MJML reads, a loop around sections…) Jinja runs over the
MJML for each recipient and MJML compiles each distinct *structure* once (``structures.py``).
Both give exactly what a full render gives (``compile_reference``; a test compares them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template, TemplateSyntaxError

from webapp.services.rendering import mjml as mjml_step
from webapp.services.rendering.context import plain_context
from webapp.services.rendering.errors import error_from_exception, syntax_error
from webapp.services.rendering.links import rewrite_links
from webapp.services.rendering.sandbox import RenderLimitError, environment, run_limited
from webapp.services.rendering.structures import Structures, fill_text, marking_environment
from webapp.services.rendering.text import (
    html_to_text,
    text_relevant,
    tidy_derived,
    tidy_text,
)
from webapp.services.rendering.types import BrandData, RenderError, RenderResult, TemplateSource

GMAIL_CLIP_BYTES = 102 * 1024
CACHE_SIZE = 512


@dataclass
class CompiledTemplate:
    source: TemplateSource
    document: str  # the MJML after the layout, with Jinja tags
    line_offset: int  # lines of layout before the author's body
    errors: list[RenderError] = field(default_factory=list)
    subject: dict[bool, Template] = field(default_factory=dict)  # by strictness
    preheader: dict[bool, Template] = field(default_factory=dict)
    html: dict[bool, Template] = field(default_factory=dict)  # fast path: Jinja over HTML
    mjml: dict[bool, Template] = field(default_factory=dict)  # slow path: Jinja over MJML
    text: dict[bool, Template] = field(default_factory=dict)
    derived_text: bool = False  # the text template was made from the compiled HTML
    structures: Structures | None = None  # slow path: compiled once per structure
    by_structure: bool = True  # False: the reference, a full render for every recipient

    @property
    def fast(self) -> bool:
        return bool(self.html)


_cache: OrderedDict[tuple[str, str], CompiledTemplate] = OrderedDict()
_lock = threading.Lock()


def compile_template(source: TemplateSource, brand: BrandData) -> CompiledTemplate:
    key = (source.key, brand.revision)
    with _lock:
        compiled = _cache.get(key)
        if compiled is not None:
            _cache.move_to_end(key)
            return compiled
    compiled = _build(source, brand)
    with _lock:
        _cache[key] = compiled
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def compile_reference(source: TemplateSource, brand: BrandData) -> CompiledTemplate:
    """A fresh compilation without the fast path (Jinja, then MJML, for every recipient):
    what the cached fast path must reproduce exactly."""
    compiled = _build(source, brand, fast=False)
    compiled.by_structure = False
    return compiled


def _build(source: TemplateSource, brand: BrandData, *, fast: bool = True) -> CompiledTemplate:
    body = source.body_mjml
    document = mjml_step.apply_layout(body, brand).replace("%%PREHEADER%%", "{{ preheader }}")
    offset = 0 if mjml_step.is_document(body) else mjml_step.layout_offset()
    compiled = CompiledTemplate(source=source, document=document, line_offset=offset)
    for strict in (False, True):
        _compile_parts(compiled, strict)
    if compiled.errors or not fast:
        return compiled
    _try_fast_path(compiled)
    return compiled


def _compile(compiled: CompiledTemplate, text: str, strict: bool, *, html: bool, part: str):
    try:
        return environment(strict, html=html).from_string(text)
    except TemplateSyntaxError as exc:
        if not strict:
            compiled.errors.append(syntax_error(exc, part, compiled.line_offset))
        return None


def _compile_parts(compiled: CompiledTemplate, strict: bool) -> None:
    src = compiled.source
    parts = {
        "subject": (src.subject, False),
        "preheader": (src.preheader, False),
        "mjml": (compiled.document, True),
    }
    if src.body_text.strip():
        parts["text"] = (src.body_text, False)
    for part, (text, html) in parts.items():
        template = _compile(compiled, text, strict, html=html, part=part)
        if template is not None:
            getattr(compiled, part)[strict] = template


def _try_fast_path(compiled: CompiledTemplate) -> None:
    document = mjml_step.fast_path_document(compiled.document)
    if document is None:
        return  # MJML's output depends on what the Jinja tags produce
    try:
        html = mjml_step.compile_mjml(document)
    except mjml_step.MjmlError:
        return  # may only compile once the placeholders are filled: slow path reports it
    if not mjml_step.tokens_survive(document, html):
        return
    text_source = html_to_text(html) if not compiled.source.body_text.strip() else ""
    derive_text = bool(text_source) and mjml_step.tokens_survive(text_relevant(html), text_source)
    for strict in (False, True):
        compiled.html[strict] = environment(strict, html=True).from_string(html)
        if derive_text:
            compiled.derived_text = True
            env = environment(True, html=False) if strict else marking_environment(html=False)
            compiled.text.setdefault(strict, env.from_string(text_source))


LinkRewriter = Callable[[str, int], str]


def render_compiled(
    compiled: CompiledTemplate,
    context: dict[str, Any],
    *,
    link_rewriter: LinkRewriter | None = None,
    strict: bool = False,
) -> RenderResult:
    result = RenderResult(subject="", preheader="", html="", text="")
    if compiled.errors:
        result.errors = list(compiled.errors)
        return result
    data, dropped = plain_context(context)
    result.warnings.extend(dropped)
    _fill(compiled, data, result, strict)
    if result.errors:
        return result
    if result.html_bytes > GMAIL_CLIP_BYTES:
        result.warnings.append(
            f"The HTML is {result.html_bytes / 1024:.0f} KB: Gmail clips messages above 102 KB."
        )
    if link_rewriter is not None:
        skip = {str(data.get("unsubscribe_url") or ""), str(data.get("preferences_url") or "")}
        result.html, result.links = rewrite_links(result.html, link_rewriter, skip)
    return result


def _run(template: Template, data: dict[str, Any], result: RenderResult, part: str, offset: int):
    """One part of the template; a failure becomes an error naming the part and line."""
    try:
        return run_limited(template.generate(data))
    except Exception as exc:  # every template failure is an error for the author, never a 500
        result.errors.append(error_from_exception(exc, offset, part))
        return None


def _fill(compiled: CompiledTemplate, data: dict[str, Any], result: RenderResult, strict: bool):
    subject = _run(compiled.subject[strict], data, result, "subject", 0)
    preheader = _run(compiled.preheader[strict], data, result, "preheader", 0)
    result.subject, result.preheader = (
        " ".join((subject or "").split()),
        " ".join((preheader or "").split()),
    )
    data = {**data, "preheader": result.preheader}
    # Validation and previews (strict) run Jinja over the MJML so errors carry the author's
    # line numbers; sending uses the precompiled HTML when there is one.
    if compiled.fast and not strict:
        html = _run(compiled.html[strict], data, result, "html", 0)
    elif not strict and compiled.by_structure:
        _fill_structure(compiled, data, result)
        return
    else:
        html = _run(compiled.mjml[strict], data, result, "body", compiled.line_offset)
        html = _compile_filled(html, result) if html is not None else None
    if html is None or result.errors:
        return
    result.html = html
    if compiled.derived_text and not strict:
        text = fill_text(compiled.text[strict], data, _runner(result, "text", 0))
        result.text = tidy_derived(text) if text is not None else html_to_text(result.html)
    elif strict in compiled.text:
        text = _run(compiled.text[strict], data, result, "text", 0) or ""
        result.text = tidy_derived(text) if compiled.derived_text else tidy_text(text)
    else:
        result.text = html_to_text(result.html)


def _runner(result: RenderResult, part: str, offset: int):
    def run(template: Template, values: dict[str, Any]) -> str | None:
        return _run(template, values, result, part, offset)

    return run


def _fill_structure(compiled: CompiledTemplate, data: dict[str, Any], result: RenderResult):
    """Sending a template MJML cannot compile once: once per structure instead."""
    if compiled.structures is None:
        compiled.structures = Structures(compiled.document)
    own_text = False in compiled.text

    try:
        run = _runner(result, "body", compiled.line_offset)
        filled = compiled.structures.fill(data, run, text=not own_text)
    except mjml_step.MjmlError as exc:
        result.errors.append(mjml_step.mjml_error(exc, ""))
        return
    except RenderLimitError as exc:
        result.errors.append(error_from_exception(exc, compiled.line_offset, "body"))
        return
    if filled is None or result.errors:
        return
    result.html, result.text = filled
    if own_text:
        text = _run(compiled.text[False], data, result, "text", 0) or ""
        result.text = tidy_text(text)


def _compile_filled(document: str, result: RenderResult) -> str | None:
    try:
        return mjml_step.compile_mjml(document)
    except mjml_step.MjmlError as exc:
        result.errors.append(mjml_step.mjml_error(exc, ""))
        return None
