"""HTMX request and response helpers: the one place that knows the HX-* header names."""

from __future__ import annotations

import json

from flask import Response, request


def is_htmx() -> bool:
    """A fragment request (not a history restore, which needs the full page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def hx_target() -> str | None:
    return request.headers.get("HX-Target")


def redirect(response: Response, url: str) -> Response:
    response.headers["HX-Redirect"] = url
    return response


def trigger(response: Response, event: str, detail: object = None) -> Response:
    response.headers["HX-Trigger"] = json.dumps({event: detail}) if detail is not None else event
    return response


def push_url(response: Response, url: str) -> Response:
    response.headers["HX-Push-Url"] = url
    return response
