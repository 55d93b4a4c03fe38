"""Build the OpenAPI 3.1 document from the route declarations (``framework.REGISTRY``)."""

from __future__ import annotations

import re
from typing import Any

from webapp.api.framework import REGISTRY, Operation
from webapp.api.schemas import COMPONENTS, PATH_PARAMETERS, UUID, ref

_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
PROBLEM_CONTENT = {"application/problem+json": {"schema": ref("Problem")}}
RATE_LIMIT_HEADER = {
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
}

STANDARD_ERRORS = {
    400: "The body is not a JSON object, or not JSON within the limits (depth, text)",
    413: "The body is larger than the API accepts (8 MiB, plus room for the attachments one "
    "email may carry, in base64)",
    401: "Missing, unknown or revoked API key",
    403: "The key lacks the scope this route needs",
    404: "No such resource in this organization",
    409: "The resource is in a state that does not allow this",
    422: "Invalid request: field-level messages in `errors`",
    429: "Rate limit of this key reached; see Retry-After",
}

DESCRIPTION = """Herald's JSON API. Authenticate with `Authorization: Bearer <key>`; keys are
created in Settings → API keys with the scopes `send`, `read` and `manage`. Errors are
RFC 9457 problem details. Lists are paginated with an opaque `cursor`: pass the previous
page's `next_cursor` until it is null. `POST /messages` accepts an `Idempotency-Key`
header: the same key and body return the same result; the same key with another body is
refused with 422."""


def build_document(server_url: str) -> dict[str, Any]:
    paths: dict[str, dict] = {}
    for op in REGISTRY:
        path = "/api/v1" + _PATH_PARAM.sub(r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Herald API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "hrld_…"}
            },
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api."),
        "summary": op.summary,
        "tags": [op.tag],
        "responses": _responses(op),
    }
    if op.description:
        doc["description"] = op.description
    if op.scope:
        doc["description"] = (doc.get("description", "") + f"\n\nScope: `{op.scope}`.").strip()
    else:
        doc["security"] = []
    parameters = _parameters(op)
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    return doc


def _parameters(op: Operation) -> list[dict]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS.get(name, UUID)}
        for name in _PATH_PARAM.findall(op.rule)
    ]
    params += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in op.query.items()
    ]
    params += [
        {"name": name, "in": "header", "required": False, "schema": schema}
        for name, schema in op.headers.items()
    ]
    return params


def _responses(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, schema in op.responses.items():
        if status >= 400:
            continue  # errors are problem documents, added below
        entry: dict[str, Any] = {"description": _success_text(status)}
        if schema is not None:
            entry["content"] = {"application/json": {"schema": schema}}
        responses[str(status)] = entry
    for status in _error_statuses(op):
        entry = {"description": STANDARD_ERRORS[status], "content": PROBLEM_CONTENT}
        if status == 429:
            entry["headers"] = RATE_LIMIT_HEADER
        responses.setdefault(str(status), entry)
    return responses


def _error_statuses(op: Operation) -> list[int]:
    if op.scope is None:
        return []
    statuses = [401, 403, 422, 429]  # 422 also for a query parameter the operation lacks
    if op.body is not None:
        statuses += [400, 413]
    if "<" in op.rule:
        statuses.append(404)
    statuses += [status for status in op.responses if status in STANDARD_ERRORS]
    return sorted(set(statuses))


def _success_text(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}.get(status, "Result")
