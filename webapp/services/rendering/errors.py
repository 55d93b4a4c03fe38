"""Turn Jinja and limit exceptions into ``RenderError`` with the author's line numbers."""

from __future__ import annotations

import re
import traceback

from jinja2 import TemplateRuntimeError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from webapp.services.rendering import names
from webapp.services.rendering.limits import RenderLimitError
from webapp.services.rendering.types import RenderError

PART_LABELS = {"subject": "Subject", "preheader": "Preheader", "text": "Text version"}


def _author_line(line: int | None, part: str, offset: int) -> int | None:
    if line is None or part in ("subject", "preheader", "html"):
        return None  # one-line fields; the precompiled HTML has no author lines
    line -= offset
    return line if line >= 1 else None


def _label(part: str, message: str) -> str:
    return f"{PART_LABELS[part]}: {message}" if part in PART_LABELS else message


UNKNOWN_NAME = re.compile(r"^No (filter|test) named '([^']*)'")


def _plain_message(message: str) -> str:
    """Jinja's "No filter named 'x'." in the words the rest of the errors use."""
    unknown = UNKNOWN_NAME.match(message)
    return names.message(unknown.group(1), unknown.group(2)) if unknown else message


def syntax_error(exc: TemplateSyntaxError, part: str, offset: int) -> RenderError:
    line = _author_line(exc.lineno, part, 0 if part in PART_LABELS else offset)
    message = _plain_message(exc.message or str(exc))
    return RenderError(line=line, message=_label(part, message), kind="syntax")


def _undefined_message(message: str) -> str:
    field = re.search(r"has no attribute '([^']+)'", message)
    if field:
        return f"Unknown variable field “{field.group(1)}”."
    name = re.search(r"^'([^']+)' is undefined", message)
    return f"Unknown variable “{name.group(1)}”." if name else f"Unknown variable: {message}"


def _template_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def error_from_exception(exc: BaseException, offset: int, part: str = "body") -> RenderError:
    error = _classify(exc, _author_line(_template_line(exc), part, offset))
    if part in PART_LABELS:
        error.message = _label(part, error.message)
    return error


def _classify(exc: BaseException, line: int | None) -> RenderError:
    if isinstance(exc, SecurityError):
        return RenderError(line=line, message=f"Not allowed: {exc}", kind="security")
    if isinstance(exc, RenderLimitError):
        return RenderError(line=line, message=str(exc), kind=exc.kind)
    if isinstance(exc, UndefinedError):
        return RenderError(
            line=line, message=_undefined_message(exc.message or ""), kind="undefined"
        )
    if isinstance(exc, TemplateRuntimeError) and UNKNOWN_NAME.match(str(exc)):
        return RenderError(line=line, message=_plain_message(str(exc)), kind="syntax")
    if isinstance(exc, RecursionError | MemoryError):
        return RenderError(line=line, message="The template is too complex to render.", kind="size")
    return RenderError(line=line, message=f"{type(exc).__name__}: {exc}"[:300], kind="syntax")
