"""The Jinja sandbox every template runs in (REQUIREMENTS T1-T3).

- ``ImmutableSandboxedEnvironment`` with autoescape: no attribute starting with ``_``, no
  mutation of lists or dicts, ``str.format`` checked. An unsafe attribute raises
  ``SecurityError`` at once (Jinja's default would print an empty string).
- Curated globals (``range``; ``_``, ``gettext``, ``ngettext``: Herald's own words in the
  recipient's language, ``webapp.i18n.sandbox``), filters and tests; methods of data values
  limited to a short list of harmless ones.
- Every hook checks the render's budget (``limits.py``): operators, calls, filters, attribute
  and item access, every loop item, every output chunk (also inside macros and ``set`` /
  ``filter`` blocks, through the code generator below), every ``~`` and every list or dict
  written in the template. Operations that could build something huge are checked before they
  run (``bounded.py``), so a runaway template stops with a clear error within the deadline and
  the process carries on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from webapp.i18n.sandbox import GLOBALS as TRANSLATION_GLOBALS
from webapp.services.rendering import bounded
from webapp.services.rendering import filters as herald_filters
from webapp.services.rendering.limits import RenderLimitError, count_output, current_budget

__all__ = ["HeraldSandbox", "RenderLimitError", "environment", "run_limited"]

SAFE_BUILTIN_FILTERS = (
    "abs", "capitalize", "default", "d", "escape", "e", "first", "float", "int", "join",
    "last", "length", "count", "list", "lower", "upper", "replace", "round", "safe", "sort",
    "string", "striptags", "sum", "title", "trim", "truncate", "unique", "urlencode",
    "wordcount", "batch", "slice", "selectattr", "rejectattr", "map", "select", "reject",
    "dictsort", "groupby", "min", "max", "attr", "center", "indent", "wordwrap", "reverse",
)  # fmt: skip

SAFE_TESTS = (
    "defined", "undefined", "none", "number", "string", "mapping", "sequence", "iterable",
    "even", "odd", "divisibleby", "eq", "ne", "lt", "le", "gt", "ge", "in", "true", "false",
    "boolean", "integer", "float", "lower", "upper", "sameas", "==", "!=", "<", "<=", ">", ">=",
)  # fmt: skip


def guarded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = current_budget()
    for item in iterable:
        budget.tick()
        yield item


def checked_value(value: Any) -> Any:
    """A list, tuple or dict written in the template (``[a, a, a]`` can be big)."""
    return current_budget().accept(value)


class _Instrument(NodeTransformer):
    """Every ``for`` iterates through the budget; every literal container is checked."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name("_herald_iter", "load"), [node.iter], [], None, None)
        return node

    def _checked(self, node: nodes.Expr) -> nodes.Node:
        node = self.generic_visit(node)
        if getattr(node, "ctx", "load") != "load":
            return node
        return nodes.Call(nodes.Name("_herald_value", "load"), [node], [], None, None)

    visit_List = visit_Tuple = visit_Dict = _checked


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every output chunk and every ``~`` passing the budget."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.herald_output({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.herald_output(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"{func_name}(environment.herald_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


def _curated_filters(builtin: dict[str, Any]) -> dict[str, Any]:
    curated = {name: builtin[name] for name in SAFE_BUILTIN_FILTERS}
    curated["replace"] = bounded.bounded_replace(builtin["replace"])
    curated["join"] = bounded.bounded_join(builtin["join"])
    curated["sum"] = bounded.bounded_sum(builtin["sum"])
    curated["indent"] = bounded.bounded_indent(builtin["indent"])
    curated["wordwrap"] = bounded.bounded_wordwrap(builtin["wordwrap"])
    curated["attr"] = _guard_attr(builtin["attr"])
    for name in ("center", "truncate", "batch", "slice"):
        curated[name] = bounded.bounded_widths(name, builtin[name])
    guarded = {name: bounded.guard_filter(name, f, False) for name, f in curated.items()}
    for name, func in herald_filters.FILTERS.items():
        guarded[name] = bounded.guard_filter(name, func, True)
    return guarded


def _guard_attr(base: Any) -> Any:
    def attr(environment: Any, obj: Any, name: Any) -> Any:
        if isinstance(name, str) and name.startswith("_"):
            raise SecurityError(f"Access to {name!r} is not allowed in templates.")
        return base(environment, obj, name)

    attr.jinja_pass_arg = base.jinja_pass_arg  # type: ignore[attr-defined]
    return attr


class HeraldSandbox(ImmutableSandboxedEnvironment):
    """The environment: immutable sandbox, autoescape, every hook on the render budget."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])
    intercepted_unops = frozenset(["+", "-"])

    def __init__(self, *, strict: bool) -> None:
        super().__init__(
            autoescape=True,
            undefined=StrictUndefined if strict else ChainableUndefined,
            auto_reload=False,
            cache_size=0,
            keep_trailing_newline=True,
        )
        self.filters = _curated_filters(self.filters)
        self.globals = {
            "range": bounded.safe_range,
            **TRANSLATION_GLOBALS,
            "_herald_iter": guarded_iter,
            "_herald_value": checked_value,
        }
        self.tests = {name: self.tests[name] for name in SAFE_TESTS if name in self.tests}

    def _generate(self, source: nodes.Template, name: Any, filename: Any, defer_init=False):
        source = _Instrument().visit(source)
        return super()._generate(source, name, filename, defer_init=defer_init)

    # hooks called by the generated code
    def herald_output(self, chunk: Any) -> Any:
        count_output(len(chunk))
        return chunk

    def herald_concat(self, parts: tuple[Any, ...]) -> tuple[Any, ...]:
        return bounded.check_concat(parts)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(attribute, str) and attribute.startswith("_"):
            raise SecurityError(f"Access to {attribute!r} is not allowed in templates.")
        current_budget().poll()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str) and argument.startswith("_"):
            raise SecurityError(f"Access to {argument!r} is not allowed in templates.")
        current_budget().poll()
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: Any) -> Undefined:
        raise SecurityError(f"Access to {attribute!r} is not allowed in templates.")

    def wrap_str_format(self, value: Any) -> Any:
        if super().wrap_str_format(value) is None:  # not str.format / str.format_map
            return None
        f_self = value.__self__
        formatter = (
            bounded.BoundedEscapeFormatter(self, escape=f_self.escape)
            if isinstance(f_self, Markup)
            else bounded.BoundedFormatter(self)
        )
        if value.__name__ == "format_map":

            def format_map(*args: Any, **kwargs: Any) -> str:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return type(f_self)(formatter.vformat(f_self, (), args[0]))

            return format_map

        def format(*args: Any, **kwargs: Any) -> str:
            return type(f_self)(formatter.vformat(f_self, args, kwargs))

        return format

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.check_time()
        bounded.check_method_call(__obj, args, budget.limits)
        return budget.accept(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = current_budget()
        budget.check_time()
        bounded.check_binop(operator, left, right, budget.limits)
        return budget.accept(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        return current_budget().accept(super().call_unop(context, operator, arg))


_ENVIRONMENTS: dict[tuple[bool, bool], HeraldSandbox] = {}


def environment(strict: bool = False, *, html: bool = True) -> HeraldSandbox:
    """The shared sandbox; ``html=False`` (no autoescape) for the text part and the subject."""
    key = (strict, html)
    if key not in _ENVIRONMENTS:
        env = HeraldSandbox(strict=strict)
        env.autoescape = html
        _ENVIRONMENTS[key] = env
    return _ENVIRONMENTS[key]


def run_limited(chunks: Iterator[str]) -> str:
    """Join a template's output chunks under the budget of the render in progress (the
    deadline is checked as each chunk is made, inside the template, so errors have a line)."""
    limit = current_budget().limits.max_output
    parts: list[str] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise RenderLimitError(f"The output passed the size limit ({limit:,} characters).")
        parts.append(chunk)
    return "".join(parts)
