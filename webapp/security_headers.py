"""Security headers on every answer: a strict Content-Security-Policy and its companions.

No page runs inline script: every script is a file under ``/static`` (``script-src 'self'``,
no ``'unsafe-eval'``; htmx runs with ``allowEval`` off). Styles may be inline because email
previews are ``srcdoc`` iframes, which inherit the page's policy, and emails are made of inline
styles; a sandboxed preview still cannot run script. Images may come from any https host (brand
logos, images in email previews) and from the public URL. Nothing may frame a Herald page
except the message preview, which sets its own, narrower policy (``webapp.messages.views``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(public_url: str) -> str:
    public = _origin(public_url)
    extra = f" {public}" if public else ""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: https:{extra}",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": f"'self'{extra}",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(public_url: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(public_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }


def register_security_headers(app: Flask) -> None:
    """Add the headers to every response that has not set its own."""
    headers = security_headers(app.config["HERALD"].public_url)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
