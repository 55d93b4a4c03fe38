"""Open pixel and click redirect: public, authenticated by signed token (DESIGN "Tracking").

Both answer fast: verify, push one event to Redis, answer (in production the pixel is
answered even earlier, by the WSGI fast path in ``fastpath.py``, with the same behaviour).
The pixel gives the same GIF for valid and invalid tokens (P2); a click redirects only to a
URL of that message, anything else is a 404 (P1) and a ``?url=`` parameter is never read.
"""

import math

from flask import Response, abort, current_app, redirect, request

from webapp.redis_client import get_redis
from webapp.services.tracking import hits
from webapp.throttle import client_key, enforce
from webapp.tracking import bp

NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}


def _limit() -> None:
    enforce("public", current_app.config["HERALD"].public_rate_limit)


@bp.route("/o/<token>", methods=["GET", "HEAD"])
def open_pixel(token: str):
    event = hits.open_event(
        token,
        method=request.method,
        user_agent=request.headers.get("User-Agent", ""),
        ip=request.remote_addr,
    )
    # With buffering on, webapp.tracking.fastpath answers before Flask; this is the
    # synchronous path (tests, HERALD_TRACKING_FLUSH_MS=0): one Redis round trip.
    limit = current_app.config["HERALD"].public_rate_limit
    verdict = hits.limit_and_push(get_redis(), f"public:{client_key()}", limit, event)
    wait = 0.0 if verdict.allowed else verdict.retry_after
    if wait:
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return Response("Too many requests.", status=429, headers=headers)
    return Response(hits.PIXEL_GIF, mimetype="image/gif", headers=NO_STORE)


@bp.route("/c/<token>", methods=["GET", "HEAD"])
def click(token: str):
    _limit()
    target = None if "url" in request.args else hits.resolve_click(token)
    if target is None:
        abort(404)
    hits.record_click(
        get_redis(),
        target,
        method=request.method,
        user_agent=request.headers.get("User-Agent", ""),
    )
    if target.url == hits.HONEYPOT:
        return Response("", status=204, headers=NO_STORE)
    response = redirect(target.url, code=302)
    response.headers.update(NO_STORE)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
