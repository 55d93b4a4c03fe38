"""The values a template needs from a send: one rule for the wizard and the API alike.

A template *needs* every variable it prints (``{{ job.title }}``, ``{{ invite_url }}``) outside
an ``{% if %}`` that tests it and without a ``|default(…)``. A send whose context leaves one
empty would go out with a blank ("Interview for  at Acme Talent") or a button with an empty
link, so the wizard lists such recipients under "missing data" and the API refuses the send
(422) naming each variable. A template that wants to allow a value to be absent says so:
``{{ job.title|default("the role") }}`` or ``{% if job.title %}…{% endif %}``. Herald's own
words, ``{{ _("Interview for %(job)s", job=job.title) }}``, need the values they are given.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TAG = re.compile(
    r"\{%-?\s*(?P<tag>if|elif|else|endif|for|endfor|set)\b(?P<args>.*?)-?%\}"
    r"|\{\{-?\s*(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?P<rest>[^}]*)\}\}",
    re.DOTALL,
)
_FOR = re.compile(r"^\s*([\w\s,]+?)\s+in\b")
_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_DEFAULT = re.compile(r"\|\s*(?:default|d)\b")
_NOT_DATA = frozenset({"loop", "range", "true", "false", "none", "True", "False", "None"})
EMPTY = ("", None, [], {})
TRANSLATING = frozenset({"_", "gettext", "ngettext"})
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", re.DOTALL)
_KEYWORD = re.compile(r"^\s*\w+\s*=(?!=)")
_VALUE = re.compile(r"^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(.*)$", re.DOTALL)


def _translation_arguments(rest: str) -> list[tuple[str, str]]:
    """(path, what follows it) for each value given to ``_()``/``ngettext()``."""
    inner = _STRING.sub('""', rest).strip().removeprefix("(").removesuffix(")")
    found = []
    for argument in inner.split(","):
        value = _VALUE.match(_KEYWORD.sub("", argument, count=1))
        if value:
            found.append((value.group(1), value.group(2)))
    return found


def template_text(source: Any) -> str:
    """All the parts of a template (a ``TemplateSource`` or a ``TemplateVersion``) in one."""
    parts = (source.subject, source.preheader or "", source.body_mjml, source.body_text or "")
    return "\n".join(parts)


@lru_cache(maxsize=256)
def _needed(text: str) -> frozenset[str]:
    return frozenset(unguarded_paths(text))


def unguarded_paths(text: str) -> set[str]:
    """Variables printed with ``{{ … }}`` that no default covers and no enclosing ``{% if %}``
    tests: a condition on ``interview.at`` covers everything of ``interview`` in its block."""
    needed: set[str] = set()
    guards: list[set[str]] = []  # roots tested by each open if/for block
    bound: set[str] = set()  # loop variables and {% set %} names
    for match in _TAG.finditer(text):
        tag, path = match.group("tag"), match.group("path")
        if tag in ("if", "elif"):
            roots = {p.split(".", 1)[0] for p in _PATH.findall(match.group("args"))}
            if tag == "elif" and guards:
                guards[-1] |= roots
            else:
                guards.append(roots)
        elif tag == "for":
            names = _FOR.match(match.group("args"))
            bound |= {n.strip() for n in (names.group(1) if names else "").split(",")}
            guards.append(set())
        elif tag in ("endif", "endfor") and guards:
            guards.pop()
        elif tag == "set":
            bound |= set(_PATH.findall(match.group("args"))[:1])
        elif path in TRANSLATING:
            for argument, tail in _translation_arguments(match.group("rest")):
                if _needs(argument, tail, guards, bound):
                    needed.add(argument)
        elif path and _needs(path, match.group("rest"), guards, bound):
            needed.add(path)
    return needed


def _needs(path: str, rest: str, guards: list[set[str]], bound: set[str]) -> bool:
    root = path.split(".", 1)[0]
    if root in bound or root in _NOT_DATA or _DEFAULT.search(rest):
        return False
    return not any(root in roots for roots in guards)


def lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def missing_values(source: Any, context: dict[str, Any]) -> list[str]:
    """The variables ``source`` needs that ``context`` leaves absent or empty, sorted."""
    return sorted(p for p in _needed(template_text(source)) if lookup(context, p) in EMPTY)
