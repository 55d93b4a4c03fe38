"""Every filter and test a template names must exist, wherever it is named.

Jinja only complains about an unknown filter or test when it compiles code that is not
inside a condition, and about the rest when the line actually runs; names given as text to
``map``, ``select``, ``reject``, ``selectattr`` and ``rejectattr`` are looked up only when
the loop runs. This walks the whole syntax tree instead, so each one is a line-numbered
error when the template is saved, whichever branch the sample data takes.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2 import nodes

from webapp.services.rendering.types import RenderError

# filter -> (index of the positional argument naming a test or filter, what it names)
NAMING_FILTERS = {
    "select": (0, "test"),
    "reject": (0, "test"),
    "selectattr": (1, "test"),
    "rejectattr": (1, "test"),
    "map": (0, "filter"),
}


def unknown_name_errors(
    tree: nodes.Template, filters: set[str], tests: set[str], label: str = ""
) -> list[RenderError]:
    errors = []
    known = {"filter": filters, "test": tests}
    for kind, name, line in _named(tree):
        if name not in known[kind]:
            errors.append(RenderError(line, f"{label}{message(kind, name)}", "syntax"))
    return errors


def message(kind: str, name: str) -> str:
    return f"Unknown {kind} “{name}”."


def _named(tree: nodes.Template) -> Iterator[tuple[str, str, int]]:
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind = "filter" if isinstance(node, nodes.Filter) else "test"
        yield kind, node.name, node.lineno
        if kind == "filter" and node.name in NAMING_FILTERS:
            named = _named_by_argument(node)
            if named is not None:
                yield named


def _named_by_argument(node: nodes.Filter) -> tuple[str, str, int] | None:
    index, kind = NAMING_FILTERS[node.name]
    if node.name == "map" and any(kw.key == "attribute" for kw in node.kwargs):
        return None  # map(attribute="x") names an attribute, not a filter
    if len(node.args) <= index or not isinstance(node.args[index], nodes.Const):
        return None
    value = node.args[index].value
    return (kind, value, node.lineno) if isinstance(value, str) else None
