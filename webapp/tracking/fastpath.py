"""The open pixel's fast path: a small WSGI layer in front of Flask for ``GET|HEAD /t/o/…``.

Every opened email loads the pixel, so it should cost about what a constant answer costs.
This layer answers it without a request context, session or hooks: verify the token (the same
purpose-scoped serializer as ``webapp.services.tokens``), classify, hand the event to the
per-process buffer (:mod:`webapp.services.tracking.buffer`), answer the GIF — or 429 with
``Retry-After`` when the client's shared per-minute budget is spent (P4). It is installed by
the tracking blueprint when it is registered, and only when buffering is on
(``HERALD_TRACKING_FLUSH_MS`` > 0, not in tests); otherwise the Flask route in
``webapp.tracking.views`` answers, with the same behaviour.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from itsdangerous import BadSignature

from webapp.services.tracking import buffer, hits
from webapp.services.tracking.classify import classify_open

PREFIX = "/t/o/"
GIF_HEADERS = [
    ("Content-Type", "image/gif"),
    ("Content-Length", str(len(hits.PIXEL_GIF))),
    ("Cache-Control", "no-store, private"),
    ("Pragma", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
]


class PixelFastPath:
    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app, self.flask_app = wsgi_app, flask_app
        self._serializer = None
        self._max_age = None

    def __call__(self, environ: dict, start_response) -> Any:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if (
            not path.startswith(PREFIX)
            or "/" in path[len(PREFIX) :]
            or method not in ("GET", "HEAD")
        ):
            return self.wsgi_app(environ, start_response)
        return self._pixel(environ, start_response, path[len(PREFIX) :], method)

    def _pixel(self, environ, start_response, token: str, method: str):
        settings = self.flask_app.config["HERALD"]
        client = hashlib.sha256((environ.get("REMOTE_ADDR") or "-").encode()).hexdigest()[:24]
        pixel_buffer = buffer.buffer_for(
            self.flask_app.extensions["herald.redis"],
            flush_ms=settings.tracking_flush_ms,
            limit_per_minute=settings.public_rate_limit,
        )
        wait = pixel_buffer.retry_after(client)
        if wait:
            start_response("429 Too Many Requests", [("Retry-After", str(max(1, math.ceil(wait))))])
            return [b"Too many requests."]
        pixel_buffer.add(client, self._event(token, method, environ))
        start_response("200 OK", GIF_HEADERS)
        return [b"" if method == "HEAD" else hits.PIXEL_GIF]

    def _event(self, token: str, method: str, environ: dict) -> dict | None:
        try:
            payload = self._loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        ids = hits.token_ids(payload, 2)
        if ids is None:
            return None
        user_agent = environ.get("HTTP_USER_AGENT", "")
        verdict = classify_open(method=method, user_agent=user_agent, ip=environ.get("REMOTE_ADDR"))
        return hits.events.make_event(
            org_id=ids[0],
            message_id=ids[1],
            type="opened",
            is_machine=verdict.is_machine,
            machine_reason=verdict.reason,
            user_agent=user_agent,
        )

    def _loads(self, token: str) -> Any:
        if self._serializer is None:
            from webapp.services import tokens

            with self.flask_app.app_context():  # the keys and salt of the tokens module
                self._serializer = tokens._serializer("open")
            self._max_age = tokens.DEFAULT_MAX_AGE["open"]
        return self._serializer.loads(token, max_age=self._max_age)


def install(state) -> None:
    """Blueprint ``record_once`` hook: wrap the app's WSGI callable when buffering is on."""
    settings = state.app.config["HERALD"]
    if settings.tracking_flush_ms > 0 and not settings.testing:
        state.app.wsgi_app = PixelFastPath(state.app.wsgi_app, state.app)
