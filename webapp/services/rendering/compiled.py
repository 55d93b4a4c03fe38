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
from webapp.services.rendering.limits import RenderLimitError, current_budget, render_budget
from webapp.services.rendering.links import bad_links, link_problem, rewrite_links
from webapp.services.rendering.sandbox import environment, run_limited
from webapp.services.rendering.structures import (
    Filled,
    Links,
    Structures,
    fill_text,
    marking_environment,
)
from webapp.services.rendering.text import (
    html_to_text,
    in_text_order,
    text_relevant,
    tidy_derived,
    tidy_text,
)
from webapp.services.rendering.types import BrandData, RenderError, RenderResult, TemplateSource

GMAIL_CLIP_BYTES = 102 * 1024
CACHE_SIZE = 512
MAX_SOURCE_CHARS = 200_000
MAX_TAGS = 1_000  # {{ … }} and {% … %} together: compiling costs about 0.5 ms a tag
MAX_TAG_CHARS = 5_000  # one tag; longer ones are nesting or filter chains no email needs


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
    # Each flavour (strict for authoring, lenient for sending) and the fast path are compiled
    # the first time they are needed: validating a new version compiles only what it renders.
    flavours: set[bool] = field(default_factory=set)
    fast_tried: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    derived_text: bool = False  # the text template was made from the compiled HTML
    structures: Structures | None = None  # slow path: compiled once per structure
    by_structure: bool = True  # False: the reference, a full render for every recipient

    @property
    def fast(self) -> bool:
        return bool(self.html)


_cache: OrderedDict[tuple[str, str], CompiledTemplate] = OrderedDict()
_lock = threading.Lock()
TOO_DEEP = "The template nests too deeply (brackets, filters or tags inside each other)."


def compile_template(
    source: TemplateSource, brand: BrandData, *, strict: bool = False
) -> CompiledTemplate:
    """The compiled template, with the ``strict`` flavour ready (and, for sending, the fast
    path tried)."""
    key = (source.key, brand.revision)
    with _lock:
        compiled = _cache.get(key)
        if compiled is not None:
            _cache.move_to_end(key)
    if compiled is None:
        compiled = _build(source, brand)
        with _lock:
            _cache[key] = compiled
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    prepare(compiled, strict)
    return compiled


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def size_problems(source: TemplateSource) -> list[RenderError]:
    """Over the source or tag limit: nothing else is worth checking (compiling is bounded by
    these two, as rendering is by its deadline)."""
    parts = (source.subject, source.preheader, source.body_mjml, source.body_text)
    if sum(len(p) for p in parts) > MAX_SOURCE_CHARS:
        return [RenderError(None, f"The template is over {MAX_SOURCE_CHARS:,} characters.", "size")]
    tags = sum(p.count("{{") + p.count("{%") for p in parts)
    if tags > MAX_TAGS:
        message = f"The template has {tags:,} {{{{ }}}} and {{% %}} tags; at most {MAX_TAGS:,}."
        return [RenderError(None, message, "size")]
    for part in parts:
        longest = max((len(token) for token in mjml_step.jinja_tokens(part)), default=0)
        if longest > MAX_TAG_CHARS:
            message = f"One {{{{ }}}} or {{% %}} tag is {longest:,} characters long; at most "
            return [RenderError(None, f"{message}{MAX_TAG_CHARS:,}.", "size")]
    return []


def compile_reference(source: TemplateSource, brand: BrandData) -> CompiledTemplate:
    """A fresh compilation without the fast path (Jinja, then MJML, for every recipient):
    what the cached fast path must reproduce exactly."""
    compiled = _build(source, brand)
    compiled.fast_tried = True  # never take the fast path
    compiled.by_structure = False
    return compiled


def _build(source: TemplateSource, brand: BrandData) -> CompiledTemplate:
    body = source.body_mjml
    document = mjml_step.apply_layout(body, brand, source.language).replace(
        "%%PREHEADER%%", "{{ preheader }}"
    )
    offset = 0 if mjml_step.is_document(body) else mjml_step.layout_offset()
    compiled = CompiledTemplate(source=source, document=document, line_offset=offset)
    compiled.errors.extend(size_problems(source))
    if compiled.errors:
        compiled.flavours.update((False, True))  # nothing to compile
    return compiled


def prepare(compiled: CompiledTemplate, strict: bool) -> None:
    """Compile the ``strict`` flavour if it is not yet (the first one records the errors;
    both flavours have the same syntax), then the fast path for sending."""
    with compiled.lock:
        if strict in compiled.flavours:
            return None
        record = not compiled.flavours
        if not strict and not compiled.fast_tried:
            compiled.fast_tried = True
            _try_fast_path(compiled)
        _compile_parts(compiled, strict, record=record, body=strict or not compiled.fast)
        compiled.flavours.add(strict)


def slow_path_template(compiled: CompiledTemplate, strict: bool) -> Template | None:
    """Jinja over the MJML; sending compiles it only when the fast path is not possible."""
    with compiled.lock:
        if strict not in compiled.mjml:
            _compile_parts(compiled, strict, record=False, body=True, only_body=True)
    return compiled.mjml.get(strict)


def _compile(compiled: CompiledTemplate, text: str, strict: bool, *, html: bool, part: str,
             record: bool):  # fmt: skip
    try:
        return environment(strict, html=html).from_string(text)
    except TemplateSyntaxError as exc:
        if record:
            compiled.errors.append(syntax_error(exc, part, compiled.line_offset))
    except RecursionError:
        if record:
            compiled.errors.append(RenderError(None, TOO_DEEP, "syntax"))
    return None


def _compile_parts(compiled: CompiledTemplate, strict: bool, *, record: bool, body: bool,
                   only_body: bool = False) -> None:  # fmt: skip
    src = compiled.source
    parts = {"mjml": (compiled.document, True)} if body else {}
    if not only_body:
        parts.update(subject=(src.subject, False), preheader=(src.preheader, False))
        if src.body_text.strip():
            parts["text"] = (src.body_text, False)
    for part, (text, html) in parts.items():
        template = _compile(compiled, text, strict, html=html, part=part, record=record)
        if template is not None:
            getattr(compiled, part)[strict] = template


def _try_fast_path(compiled: CompiledTemplate) -> None:
    """Sending only (the lenient flavour): strict renders take the slow path anyway."""
    document = mjml_step.fast_path_document(compiled.document)
    if document is None:
        return  # MJML's output depends on what the Jinja tags produce
    try:
        html = mjml_step.compile_mjml(document)
    except mjml_step.MjmlError:
        return  # may only compile once the placeholders are filled: slow path reports it
    if not mjml_step.tokens_survive(document, html):
        return None
    try:
        text_source = html_to_text(html) if not compiled.source.body_text.strip() else ""
    except RenderLimitError:
        text_source = ""  # too slow to derive once: each render derives it under its budget
    derive_text = bool(text_source) and mjml_step.tokens_survive(
        in_text_order(text_relevant(html)), text_source
    )
    try:
        compiled.html[False] = environment(False, html=True).from_string(html)
        if derive_text:
            compiled.derived_text = True
            compiled.text.setdefault(
                False, marking_environment(html=False).from_string(text_source)
            )
    except (TemplateSyntaxError, RecursionError):
        compiled.html.clear()  # the slow path compiles the MJML and reports what is wrong
        compiled.text.pop(False, None)


LinkRewriter = Callable[[str, int], str]


def render_compiled(
    compiled: CompiledTemplate,
    context: dict[str, Any],
    *,
    link_rewriter: LinkRewriter | None = None,
    strict: bool = False,
) -> RenderResult:
    result = RenderResult(subject="", preheader="", html="", text="")
    prepare(compiled, strict)
    if compiled.errors:
        result.errors = list(compiled.errors)
        return result
    data, dropped = plain_context(context)
    result.warnings.extend(dropped)
    links = None
    if link_rewriter is not None:
        skip = {str(data.get("unsubscribe_url") or ""), str(data.get("preferences_url") or "")}
        links = (link_rewriter, {url for url in skip if url})
    with render_budget():
        filled = _fill(compiled, data, result, strict, links)
    if result.errors:
        return result
    size = filled.html_bytes if filled and filled.html_bytes is not None else result.html_bytes
    if size > GMAIL_CLIP_BYTES:  # the HTML as written, before links were rewritten
        result.warnings.append(
            f"The HTML is {size / 1024:.0f} KB: Gmail clips messages above 102 KB."
        )
    if filled is not None and filled.links is not None:
        result.links = filled.links
    elif links is not None:
        result.html, result.links = rewrite_links(result.html, *links)
    return result


def _run(template: Template, data: dict[str, Any], result: RenderResult, part: str, offset: int):
    """One part of the template; a failure becomes an error naming the part and line."""
    try:
        return run_limited(template.generate(data))
    except Exception as exc:  # every template failure is an error for the author, never a 500
        result.errors.append(error_from_exception(exc, offset, part))
        return None


def _fill(compiled: CompiledTemplate, data: dict[str, Any], result: RenderResult, strict: bool,
          links: Links | None = None) -> Filled | None:  # fmt: skip
    """Fill ``result``; by structure, the HTML may come with its links rewritten (``Filled``)."""
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
        return _fill_structure(compiled, data, result, links)
    else:
        template = slow_path_template(compiled, strict)
        if template is None:
            result.errors.append(RenderError(None, "The template could not be compiled.", "syntax"))
            return None
        document = _run(template, data, result, "body", compiled.line_offset)
        if strict and document is not None:
            _check_rendered_links(document, result)
        html = _compile_filled(document, result) if document is not None else None
    if html is None or result.errors:
        return None
    result.html = html
    if compiled.derived_text and not strict:
        text = fill_text(compiled.text[strict], data, _runner(result, "text", 0))
        result.text = tidy_derived(text) if text is not None else _derive_text(result)
    elif strict in compiled.text:
        text = _run(compiled.text[strict], data, result, "text", 0) or ""
        result.text = tidy_derived(text) if compiled.derived_text else tidy_text(text)
    else:
        result.text = _derive_text(result)


def _runner(result: RenderResult, part: str, offset: int):
    def run(template: Template, values: dict[str, Any]) -> str | None:
        return _run(template, values, result, part, offset)

    return run


def _fill_structure(compiled: CompiledTemplate, data: dict[str, Any], result: RenderResult,
                    links: Links | None) -> Filled | None:  # fmt: skip
    """Sending a template MJML cannot compile once: once per structure instead."""
    if compiled.structures is None:
        compiled.structures = Structures(compiled.document)
    own_text = False in compiled.text
    try:
        run = _runner(result, "body", compiled.line_offset)
        filled = compiled.structures.fill(data, run, text=not own_text, links=links)
    except mjml_step.MjmlError as exc:
        result.errors.append(mjml_step.mjml_error(exc, ""))
        return None
    except RenderLimitError as exc:
        result.errors.append(error_from_exception(exc, compiled.line_offset, "body"))
        return None
    if filled is None or result.errors:
        return None
    result.html, result.text = filled.html, filled.text
    if own_text:
        text = _run(compiled.text[False], data, result, "text", 0) or ""
        result.text = tidy_text(text)
    return filled


def _check_rendered_links(document: str, result: RenderResult) -> None:
    """Links as the sample data renders them (``{% set src = … %}``, names built from parts):
    validation and previews refuse what the source check could not see."""
    for _, attribute, url in bad_links(document):
        error = link_problem(None, attribute, url)
        error.message = f"With the sample data: {error.message}"
        result.errors.append(error)


def _derive_text(result: RenderResult) -> str:
    try:
        return html_to_text(result.html)
    except RenderLimitError as exc:
        result.errors.append(RenderError(None, f"Text version: {exc}", exc.kind))
        result.html = ""
        return ""


def _compile_filled(document: str, result: RenderResult) -> str | None:
    try:
        html = mjml_step.compile_mjml(document)
        current_budget().check_time()
        return html
    except mjml_step.MjmlError as exc:
        result.errors.append(mjml_step.mjml_error(exc, ""))
    except RenderLimitError as exc:
        result.errors.append(RenderError(None, str(exc), exc.kind))
    return None
