"""Rendering: one pure function used by the live preview and by sending (DESIGN.md "Rendering").

``render(source, brand, context)`` fills the Jinja placeholders of an MJML template in an
immutable sandbox, compiles MJML to HTML (mjml-python), rewrites links through an optional hook
and derives the text part. Errors come back in ``RenderResult.errors``; nothing is raised.

Work that does not depend on the recipient happens once per (template revision, brand
revision) and is cached (see ``compiled.py``): when every Jinja tag of the source survives MJML
compilation unchanged and MJML's output does not depend on it, MJML runs once and only Jinja
runs per recipient; otherwise MJML runs once per structure (``structures.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webapp.services.rendering.types import (
    BrandData,
    RenderError,
    RenderResult,
    TemplateSource,
)

__all__ = [
    "BrandData",
    "RenderError",
    "RenderResult",
    "TemplateSource",
    "render",
]

LinkRewriter = Callable[[str, int], str]


def render(
    version: TemplateSource,
    brand: BrandData,
    context: dict[str, Any],
    *,
    link_rewriter: LinkRewriter | None = None,
    strict: bool = False,
) -> RenderResult:
    """Render ``version`` for one recipient. ``strict`` turns unknown variables into errors.

    ``link_rewriter(url, index)`` is called for every trackable http(s) link of the HTML (in
    document order) and returns the URL to put in its place.
    """
    from webapp.services.rendering.compiled import compile_template, render_compiled

    compiled = compile_template(version, brand, strict=strict)
    return render_compiled(compiled, context, link_rewriter=link_rewriter, strict=strict)
