"""``_``, ``gettext`` and ``ngettext`` for email templates (the rendering sandbox's globals).

The language is the context's ``language`` when the sender chose one, else the recipient's
locale (``recipient.locale``, which sending fills with the candidate's locale or the
organization's), else the candidate's, each tried exactly and then without its region; English
when Herald has no catalog for any of them.

They behave like Jinja's "new style" gettext: ``_("Hi %(name)s", name=candidate.first_name)``
fills named placeholders after translating (so a literal ``%`` is written ``%%``), and in HTML
a catalog's text is trusted while every value filled in is escaped; a message the catalogs do
not know (``_(candidate.first_name)``, or an author's own words) is escaped too. Only
``%(name)s`` and ``%%`` are understood (no widths: a template cannot ask for a million
spaces), and the result's size is known before it is built, so it stays within the render's
limits (REQUIREMENTS T3).
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from webapp.i18n import catalogs
from webapp.i18n.languages import negotiate
from webapp.services.rendering.limits import RenderLimitError, current_limits

PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)")


def _locale_of(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("locale")
    return value if isinstance(value, str) else ""


def template_language(context: Any) -> str:
    """The language Herald's own words are written in for this render (worked out once per
    render and kept on its evaluation context, which templates cannot reach)."""
    evaluation = context.eval_ctx
    language = getattr(evaluation, "herald_language", None)
    if language is None:
        chosen = context.get("language")
        language = negotiate(
            chosen if isinstance(chosen, str) else "",
            _locale_of(context.get("recipient")),
            _locale_of(context.get("candidate")),
        )
        evaluation.herald_language = language
    return language


def _fill(context: Any, text: str, variables: dict[str, Any], *, trusted: bool) -> str:
    html = bool(context.eval_ctx.autoescape)
    if html and not trusted:
        text = str(escape(text))
    if "%" not in text:
        return Markup(text) if html else text  # noqa: S704  catalog text, or escaped above
    names = [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)]
    values: dict[str, str] = {}
    for name in names:
        if name in values:
            continue
        if name not in variables:
            raise KeyError(f"{name} (a placeholder of “{text}” that was not given)")
        values[name] = str(escape(variables[name])) if html else str(variables[name])
    size = len(text) + sum(len(values[name]) for name in names)
    limit = current_limits().max_value
    if size > limit:
        raise RenderLimitError(f"A translated text would pass the size limit ({limit:,}).")
    filled = PLACEHOLDER.sub(lambda m: values[m.group(1)] if m.group(1) else "%", text)
    return Markup(filled) if html else filled  # noqa: S704  catalog text, values escaped


@pass_context
def gettext(context: Any, message: str, /, **variables: Any) -> str:
    text = catalogs.known(template_language(context), str(message))
    return _fill(context, text or str(message), variables, trusted=text is not None)


@pass_context
def ngettext(context: Any, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    language, count = template_language(context), int(num)
    trusted = catalogs.knows_plural(language, str(singular))
    text = catalogs.translate_plural(language, str(singular), str(plural), count)
    return _fill(context, text, variables, trusted=trusted)


GLOBALS = {"_": gettext, "gettext": gettext, "ngettext": ngettext}
