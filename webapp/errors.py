"""Error pages for the dashboard and problem+json for the API (RFC 9457)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from webapp import link_pages


def problem(status: int, title: str, detail: str = "", **extra):
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


# Headers an HTTP error owes the client whatever body it gets (RFC 9110: a 405 lists ``Allow``).
CARRIED_HEADERS = ("Allow", "WWW-Authenticate")


def _with_error_headers(response, exc: HTTPException):
    for name, value in exc.get_headers():
        if name in CARRIED_HEADERS:
            response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        response = _error_response(exc)
        return response if response is exc else _with_error_headers(response, exc)

    def _error_response(exc: HTTPException):
        if request.path.startswith("/api/"):
            response = problem(exc.code or 500, exc.name, exc.description or "")
            if exc.code == 429 and exc.response is not None:
                response.headers["Retry-After"] = exc.response.headers.get("Retry-After", "60")
            return response
        if exc.code == 404 and link_pages.is_candidate_link():
            return link_pages.invalid_link_page()
        if request.blueprint in ("tracking", "webhooks", "ops"):
            return exc
        if link_pages.is_candidate_link():
            response = link_pages.error_page(exc)
            if exc.response is not None and "Retry-After" in exc.response.headers:
                response.headers["Retry-After"] = exc.response.headers["Retry-After"]
            return response
        response = app.make_response(
            (render_template("errors/error.html", error=exc), exc.code or 500)
        )
        if exc.response is not None and "Retry-After" in exc.response.headers:
            response.headers["Retry-After"] = exc.response.headers["Retry-After"]
        return response
