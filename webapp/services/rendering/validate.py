"""Checks on save (and in the live preview): every problem with the author's line number.

Jinja syntax, unknown variables, MJML structure (unknown or unclosed ``mj-`` tags),
``mj-include``, links that are not http(s)/mailto/placeholders, size, and the unsubscribe
link rule for bulk categories (REQUIREMENTS C7). A strict render with sample data then catches
what only shows at run time: unknown attributes, sandbox violations, time and size caps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes

from webapp.services.rendering import mjml as mjml_step
from webapp.services.rendering.compiled import (
    TOO_DEEP,
    compile_template,
    render_compiled,
    size_problems,
)
from webapp.services.rendering.links import bad_links, link_problem
from webapp.services.rendering.names import unknown_name_errors
from webapp.services.rendering.sandbox import environment
from webapp.services.rendering.types import BrandData, RenderError, RenderResult, TemplateSource
from webapp.services.rendering.variables import KNOWN_NAMES, sample_context

UNSUBSCRIBE_CATEGORIES = ("marketing", "digests", "invitations")
MJML_TAGS = frozenset(
    (
        "mjml",
        "mj-head",
        "mj-body",
        "mj-attributes",
        "mj-all",
        "mj-class",
        "mj-breakpoint",
        "mj-font",
        "mj-html-attributes",
        "mj-html-attribute",
        "mj-preview",
        "mj-style",
        "mj-title",
        "mj-accordion",
        "mj-accordion-element",
        "mj-accordion-title",
        "mj-accordion-text",
        "mj-button",
        "mj-carousel",
        "mj-carousel-image",
        "mj-column",
        "mj-divider",
        "mj-group",
        "mj-hero",
        "mj-image",
        "mj-navbar",
        "mj-navbar-link",
        "mj-raw",
        "mj-section",
        "mj-social",
        "mj-social-element",
        "mj-spacer",
        "mj-table",
        "mj-text",
        "mj-wrapper",
        "mj-selector",
        "mj-include",
    )
)
TAG = re.compile(r"<(/?)(mj-[a-z-]+|mjml)\b[^>]*?(/?)>", re.IGNORECASE)
ENDING_TAGS = frozenset(
    ["mj-text", "mj-button", "mj-table", "mj-raw", "mj-style", "mj-title", "mj-preview"]
)


def _line(source: str, position: int) -> int:
    return source.count("\n", 0, position) + 1


def structure_errors(body: str) -> list[RenderError]:
    """Unknown ``mj-`` tags, ``mj-include`` and unbalanced tags, with line numbers."""
    errors: list[RenderError] = []
    stack: list[tuple[str, int]] = []
    for match in TAG.finditer(body):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        line = _line(body, match.start())
        if name == "mj-include":
            errors.append(RenderError(line, "<mj-include> is not allowed.", "mjml"))
        elif name not in MJML_TAGS:
            errors.append(RenderError(line, f"Unknown MJML tag <{name}>.", "mjml"))
        elif stack and stack[-1][0] in ENDING_TAGS and not (closing and name == stack[-1][0]):
            continue  # content of an ending tag is HTML, not MJML
        elif self_closing:
            continue
        elif not closing:
            stack.append((name, line))
        elif stack and stack[-1][0] == name:
            stack.pop()
        else:
            expected = f"</{stack[-1][0]}> (opened on line {stack[-1][1]})" if stack else "nothing"
            errors.append(
                RenderError(line, f"</{name}> found where {expected} was expected.", "mjml")
            )
    errors.extend(RenderError(line, f"<{name}> is never closed.", "mjml") for name, line in stack)
    return errors


BLOCK_TAG = re.compile(
    r"\{%-?\s*(end)?(if|for|macro|call|filter|set|with|block|raw)\b(.{0,2000}?)-?%\}", re.S
)


def body_syntax_errors(body: str) -> list[RenderError]:
    """Jinja syntax errors of the body alone, so lines are the author's own."""
    try:
        environment(strict=True).parse(body)
    except RecursionError:
        return [RenderError(None, TOO_DEEP, "syntax")]
    except TemplateSyntaxError as exc:
        line = exc.lineno
        if (exc.message or "").startswith("Unexpected end of template"):
            line = _unclosed_block_line(body) or line
        return [RenderError(line, exc.message or str(exc), "syntax")]
    return []


def _unclosed_block_line(body: str) -> int | None:
    stack: list[tuple[str, int]] = []
    for match in BLOCK_TAG.finditer(body):
        end, name, rest = match.group(1), match.group(2), match.group(3)
        if name == "set" and "=" in rest:
            continue  # {% set x = … %} has no end tag
        if end and stack and stack[-1][0] == name:
            stack.pop()
        elif not end:
            stack.append((name, _line(body, match.start())))
    return stack[-1][1] if stack else None


Parsed = list[tuple[str, bool, nodes.Template]]


def _parsed_parts(source: TemplateSource) -> Iterator[tuple[str, bool, nodes.Template]]:
    """(label, has author lines, tree) for each part that parses."""
    env = environment(strict=True)
    for part, text in (("Subject", source.subject), ("Preheader", source.preheader),
                       ("", source.body_mjml), ("Text version", source.body_text)):  # fmt: skip
        try:
            tree = env.parse(text)
        except (TemplateSyntaxError, RecursionError):
            continue  # reported by the compile step
        yield (f"{part}: " if part else ""), part in ("", "Text version"), tree


def unknown_variables(parsed: Parsed) -> list[RenderError]:
    errors = []
    for label, lined, tree in parsed:
        try:
            undeclared = meta.find_undeclared_variables(tree)
        except (TemplateSyntaxError, RecursionError):
            continue  # an unknown filter or test: reported by unknown_filters_and_tests
        for name in sorted(undeclared - KNOWN_NAMES):
            line = _name_line(tree, name) if lined else None  # parsed: not too deep to walk
            errors.append(RenderError(line, f"{label}Unknown variable “{name}”.", "undefined"))
    return errors


def unknown_filters_and_tests(parsed: Parsed) -> list[RenderError]:
    env = environment(strict=True)
    filters, tests = set(env.filters), set(env.tests)
    errors = []
    for label, lined, tree in parsed:
        try:
            found = unknown_name_errors(tree, filters, tests, label)
        except RecursionError:
            continue  # nested too deeply: the compile step says so
        for error in found:
            error.line = error.line if lined else None
            errors.append(error)
    return errors


def _name_line(tree: nodes.Template, name: str) -> int | None:
    for node in tree.find_all(nodes.Name):
        if node.name == name:
            return node.lineno
    return None


def validate(
    source: TemplateSource,
    brand: BrandData,
    *,
    category: str,
    context: dict[str, Any] | None = None,
) -> RenderResult:
    """Everything wrong with ``source``; the result also holds the sample render."""
    errors = _static_errors(source, category)
    if any(e.kind == "size" or e.message == TOO_DEEP for e in errors):
        return _result(errors)  # not worth compiling: it would only fail again, slowly
    # Compiling is bounded by the size and tag limits; the render has the deadline.
    compiled = compile_template(source, brand, strict=True)
    if compiled.errors:
        body_reported = any(e.kind == "syntax" and e.line for e in errors)
        later = [e for e in compiled.errors if not (body_reported and _is_body_syntax(e))]
        return _result(errors + later)
    result = render_compiled(compiled, context or sample_context(), strict=True)
    result.errors = _dedupe(errors + _new_findings(errors, result.errors))
    if not mjml_step.is_document(source.body_mjml) and category in UNSUBSCRIBE_CATEGORIES:
        result.warnings.append("The brand layout footer adds the unsubscribe link (required).")
    return result


def _static_errors(source: TemplateSource, category: str) -> list[RenderError]:
    too_big = size_problems(source)
    if too_big:
        return too_big
    parsed = list(_parsed_parts(source))
    errors = structure_errors(source.body_mjml)
    if not any(label == "" for label, _, _ in parsed):  # the body did not parse: say why
        errors += body_syntax_errors(source.body_mjml)
    errors += [
        link_problem(line, attribute, url) for line, attribute, url in bad_links(source.body_mjml)
    ]
    errors += unknown_variables(parsed) + unknown_filters_and_tests(parsed)
    if not source.subject.strip():
        errors.append(RenderError(None, "Subject: write a subject line.", "syntax"))
    needs_link = category in UNSUBSCRIBE_CATEGORIES and mjml_step.is_document(source.body_mjml)
    if needs_link and "unsubscribe_url" not in source.body_mjml:
        errors.append(RenderError(None, f"Templates in the “{category}” category must contain "
                                  "{{ unsubscribe_url }} (CAN-SPAM).", "link"))  # fmt: skip
    return errors


def _is_body_syntax(error: RenderError) -> bool:
    labels = ("Subject:", "Preheader:", "Text version:")
    return error.kind == "syntax" and not error.message.startswith(labels)


def _new_findings(static: list[RenderError], runtime: list[RenderError]) -> list[RenderError]:
    """Runtime errors that say something the static checks did not already say."""
    names = {e.message.split("“", 1)[-1].rstrip("”.") for e in static if e.kind == "undefined"}
    has_include = any("mj-include" in e.message for e in static)
    has_link = any(e.kind == "link" for e in static)
    fresh = []
    for error in runtime:
        if has_link and error.kind == "link":
            continue  # the rendered links say again what the source already said
        if error.kind == "undefined" and any(f"'{name}'" in error.message for name in names):
            continue
        if has_include and "mj-include" in error.message:
            continue
        fresh.append(error)
    return fresh


def _dedupe(errors: list[RenderError]) -> list[RenderError]:
    seen, unique = set(), []
    for error in errors:
        key = (error.line, error.message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return sorted(unique, key=lambda e: (e.line is None, e.line or 0))


def _result(errors: list[RenderError]) -> RenderResult:
    return RenderResult(subject="", preheader="", html="", text="", errors=_dedupe(errors))
