"""The frame every API route shares: Bearer keys, scopes, rate limits, validation, problems.

A route is declared once with :func:`endpoint`, next to its view. The declaration (scope,
request schema, query parameters, responses) is used twice: to validate each request, and to
build the OpenAPI document (``webapp.api.openapi``). There is no hand-written document to drift.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

import jsonschema_rs
import redis
from flask import current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from webapp.api import bp
from webapp.errors import problem
from webapp.extensions import db
from webapp.models import utcnow
from webapp.redis_client import get_redis
from webapp.services import json_body, ratelimit
from webapp.services.accounts.api_keys import find_active_key, mark_used

logger = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"api.openapi"}
FORMAT_MESSAGES = {
    "email": "is not a valid email address",
    "uuid": "is not a valid id (a UUID)",
    "date-time": "is not an ISO-8601 date-time with a time zone, e.g. 2030-01-31T09:00:00Z",
}
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per key per minute


@dataclass
class Operation:
    """One route as the OpenAPI document describes it."""

    rule: str
    method: str
    endpoint: str
    scope: str | None
    summary: str
    tag: str
    body: dict | None = None
    query: dict[str, dict] = field(default_factory=dict)
    responses: dict[int, dict | None] = field(default_factory=dict)
    description: str = ""
    headers: dict[str, dict] = field(default_factory=dict)
    body_validator: Any = None
    query_validator: Any = None


REGISTRY: list[Operation] = []


class ApiError(HTTPException):
    """An error that carries its own problem+json response."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: Any):
        super().__init__(description=detail)
        self.code = status
        self.response = problem(status, title, detail, **extra)


def invalid(errors: list[dict[str, str]], detail: str = "") -> ApiError:
    """422 with field-level messages: ``[{"field": "to", "message": "..."}]``."""
    return ApiError(
        422,
        "Invalid request",
        detail or "Some fields are missing or not valid.",
        type="about:blank",
        errors=errors,
    )


def endpoint(
    rule: str,
    method: str,
    *,
    scope: str | None,
    summary: str,
    tag: str,
    body: dict | None = None,
    query: dict[str, dict] | None = None,
    responses: dict[int, dict | None],
    description: str = "",
    headers: dict[str, dict] | None = None,
) -> Callable:
    """Declare and register an API route. The view receives ``body`` and ``query`` kwargs."""

    def decorator(view: Callable) -> Callable:
        op = Operation(
            rule, method, f"api.{view.__name__}", scope, summary, tag, body, query or {},
            responses, description, headers or {},
        )  # fmt: skip
        return _register(op, view)

    return decorator


def _register(op: Operation, view: Callable) -> Callable:
    """Compile the operation's schemas, record it for the document, and add the route."""
    if op.body is not None:
        op.body_validator = compile_schema(op.body)
    if op.query:
        op.query_validator = compile_schema(_query_object(op.query))
    REGISTRY.append(op)

    @wraps(view)
    def wrapped(**kwargs: Any):
        _check_scope(op.scope)
        if any("\x00" in str(value) for value in kwargs.values()):
            raise not_found()  # no id or address contains NUL
        if op.body is not None:
            kwargs["body"] = _validated_body(op)
        query = _validated_query(op) if op.query or request.args else {}
        if op.query:
            kwargs["query"] = query
        return view(**kwargs)

    bp.add_url_rule(op.rule, view.__name__, wrapped, methods=[op.method])
    return wrapped


def compile_schema(schema: dict):
    """A validator for ``schema`` (component references resolved), compiled once."""
    from webapp.api.schemas import COMPONENTS

    resolvable = {**schema, "$defs": COMPONENTS}
    return jsonschema_rs.validator_for(_local_refs(resolvable), validate_formats=True)


def _local_refs(value: Any) -> Any:
    """Point ``#/components/schemas/X`` references at ``#/$defs/X`` for validation."""
    if isinstance(value, dict):
        return {
            key: (
                item.replace("#/components/schemas/", "#/$defs/")
                if key == "$ref"
                else _local_refs(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_local_refs(item) for item in value]
    return value


def _query_object(query: dict[str, dict]) -> dict:
    return {"type": "object", "properties": query, "additionalProperties": True}


# --- authentication, rate limits --------------------------------------------------------------


@bp.before_request
def authenticate() -> None:
    request.max_content_length = body_limit()  # werkzeug answers 413 beyond it
    g.api_key = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    key = find_active_key(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
    if key is None:
        error = ApiError(401, "Unauthorized", "Send a valid API key: Authorization: Bearer <key>.")
        error.response.headers["WWW-Authenticate"] = 'Bearer realm="herald"'
        raise error
    g.api_key = key
    g.org_id = key.org_id
    _enforce_rate_limit(key)
    if key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION:
        mark_used(key, raw.strip())
        db.session.commit()


def body_limit() -> int:
    """8 MiB of JSON, plus the base64 of the most attachments one email may carry."""
    total = current_app.config["HERALD"].attachments_total_max_bytes
    return json_body.MAX_BYTES + (total + 2) // 3 * 4


def _enforce_rate_limit(key) -> None:
    limit = key.rate_limit_per_minute or current_app.config["HERALD"].api_rate_limit
    try:
        verdict = ratelimit.per_minute(get_redis(), f"api:{key.id}", limit)
    except redis.RedisError:
        logger.warning("rate limiter unavailable; API request allowed")
        return
    if not verdict.allowed:
        error = ApiError(
            429, "Too Many Requests", f"This key may make {limit} requests per minute."
        )
        error.response.headers["Retry-After"] = str(max(1, math.ceil(verdict.retry_after)))
        raise error


def _check_scope(scope: str | None) -> None:
    if scope is None:
        return
    if scope not in (g.api_key.scopes or []):
        raise ApiError(403, "Forbidden", f"This API key lacks the '{scope}' scope.")


def actor_label() -> str:
    """How the audit log names the caller: the key's name and public prefix."""
    key = g.api_key
    return f"API key {key.name} ({key.prefix}…)"


# --- request validation -----------------------------------------------------------------------


def _validated_body(op: Operation) -> dict:
    raw = request.get_data(cache=True)
    try:
        payload = json_body.parse(raw, max_bytes=body_limit()) if raw else None
    except json_body.BadJson as exc:
        title = "Content Too Large" if exc.status == 413 else "Bad Request"
        raise ApiError(exc.status, title, exc.reason) from None
    if payload is None:
        raise ApiError(400, "Bad Request", "The request body must be a JSON object.")
    errors = schema_errors(op.body_validator, payload, op.body) + nul_errors(payload)
    if errors:
        raise invalid(errors)
    return payload


def _validated_query(op: Operation) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = [
        {"field": name, "message": "is not a query parameter of this operation"}
        for name in request.args
        if name not in op.query
    ][:50]
    for name, schema in op.query.items():
        raw = request.args.get(name)
        if raw is None:
            continue
        if schema.get("type") == "integer":
            try:
                values[name] = int(raw)
            except ValueError:
                errors.append({"field": name, "message": "must be a whole number"})
                continue
        else:
            values[name] = raw
    if op.query_validator is not None:
        errors.extend(schema_errors(op.query_validator, values))
    errors.extend(nul_errors(values))
    if errors:
        raise invalid(errors)
    return values


COMBINATIONS = (
    jsonschema_rs.ValidationErrorKind.AnyOf,
    jsonschema_rs.ValidationErrorKind.OneOfNotValid,
    jsonschema_rs.ValidationErrorKind.OneOfMultipleValid,
)


def schema_errors(validator, instance: Any, schema: dict | None = None) -> list[dict[str, str]]:
    """Field-level messages for ``instance``. Where ``schema`` combines alternatives (``oneOf``,
    ``anyOf``), the object holding them names its field and message in ``x-error``."""
    errors = []
    for error in validator.iter_errors(instance):
        path = [str(part) for part in error.instance_path]
        kind = error.kind
        explained = _x_error(schema, list(error.schema_path)[:-1])
        if isinstance(kind, COMBINATIONS) and explained:
            path.append(explained["field"])
            message = explained["message"]
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            path.append(str(kind.property))
            message = "is required"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            path.append(",".join(str(name) for name in kind.unexpected))
            message = "is not a known field"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Format):
            message = FORMAT_MESSAGES.get(kind.format, f"is not a valid {kind.format}")
        else:
            message = error.message
        errors.append({"field": ".".join(path) or "(body)", "message": message})
        if len(errors) >= 50:
            break
    return errors


def _x_error(schema: Any, path: list) -> dict | None:
    for part in path:
        if not isinstance(schema, dict | list):
            return None
        schema = schema[part] if isinstance(schema, list) else schema.get(str(part))
    return schema.get("x-error") if isinstance(schema, dict) else None


def current_org():
    """The calling key's organization (loaded only by routes that need more than its id)."""
    from webapp.models import Organization

    return db.session.get(Organization, g.org_id)


def list_page(statement, id_column, query: dict[str, Any], serialize: Callable) -> Any:
    """One cursor page of ``statement`` as ``{"data": [...], "next_cursor": ...}``."""
    from webapp.services.api.pagination import BadCursor, paginate

    try:
        page = paginate(
            statement, id_column, limit=query.get("limit", 50), cursor=query.get("cursor")
        )
    except BadCursor:
        raise invalid([{"field": "cursor", "message": "is not a cursor this API gave"}]) from None
    return json_response(
        {"data": [serialize(row) for row in page.items], "next_cursor": page.next_cursor}
    )


def nul_errors(value: Any, path: str = "") -> list[dict[str, str]]:
    """Values no database column can hold: NUL characters (PostgreSQL text and JSONB refuse
    them) and NaN/Infinity (accepted by Python's JSON parser, not by JSON). A body without
    any is recognised in one quick pass; the field paths are worked out only for one with."""
    return [] if _storable(value) else _errors_at(value, path)


def _storable(value: Any) -> bool:
    kind = type(value)
    if kind is str:
        return "\x00" not in value
    if kind is dict:
        return all(
            type(key) is str and "\x00" not in key and _storable(item)
            for key, item in value.items()
        )
    if kind is list:
        return all(_storable(item) for item in value)
    if kind is float:
        return math.isfinite(value)
    return kind in (int, bool) or value is None


def _errors_at(value: Any, path: str) -> list[dict[str, str]]:
    where = path or "(body)"
    if isinstance(value, str):
        return [{"field": where, "message": "must not contain NUL"}] if "\x00" in value else []
    if isinstance(value, float) and not math.isfinite(value):
        return [{"field": where, "message": "must be a finite number"}]
    if isinstance(value, dict):
        items = [(str(key), item) for key, item in value.items()]
        keys = [{"field": where, "message": "keys must not contain NUL"}]
        found = keys if any("\x00" in key for key, _ in items) else []
    elif isinstance(value, list):
        items, found = [(str(index), item) for index, item in enumerate(value)], []
    else:
        return []
    for key, item in items:
        found.extend(_errors_at(item, f"{path}.{key}" if path else key))
    return found


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None):
    response = jsonify(payload)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, "Not Found", f"{what} not found.")


def require(condition: bool, status: int, title: str, detail: str) -> None:
    if not condition:
        raise ApiError(status, title, detail)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error.response


__all__ = [
    "REGISTRY",
    "ApiError",
    "Operation",
    "actor_label",
    "endpoint",
    "invalid",
    "json_response",
    "not_found",
    "require",
]
