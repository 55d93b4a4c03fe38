"""Operations endpoints: ``/healthz`` (process up), ``/readyz`` (dependencies, plus warnings
that leave the instance ready, such as a plain-http public URL), ``/metrics``.

They sit outside the session and CSRF machinery (public blueprint). ``/metrics`` answers 404
while ``HERALD_METRICS_TOKEN`` is unset, and 401 without the token (``Authorization: Bearer``
or ``?token=``).
"""

from __future__ import annotations

import hmac

from flask import abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from webapp.config import public_url_warning
from webapp.ops import bp
from webapp.ops.checks import readiness, sending_health
from webapp.redis_client import get_redis
from webapp.services.metrics import HeraldCollector

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok"), 200, NO_STORE


@bp.get("/readyz")
def readyz():
    ready, checks = readiness(current_app.config["HERALD_REDIS_URL"])
    # Warnings do not make the instance unready: it works, but something needs fixing.
    warning = public_url_warning(current_app.config["HERALD"])
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "warnings": [warning] if warning else [],
    }
    if checks["database"]["ok"] and checks["redis"]["ok"]:
        # Reported, not part of readiness: a web process is ready even when no scheduler runs.
        body["sending"] = sending_health(
            get_redis(), current_app.config["HERALD"].stuck_alert_seconds
        )
    return jsonify(body), (200 if ready else 503), NO_STORE


def _presented_token() -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.args.get("token", "")


@bp.get("/metrics")
def metrics():
    expected = current_app.config["HERALD"].metrics_token
    if not expected:
        abort(404)
    if not hmac.compare_digest(_presented_token().encode(), expected.encode()):
        return (
            "metrics token required\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE},
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        HeraldCollector(get_redis(), current_app.config["HERALD"].stuck_alert_seconds)
    )
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST, **NO_STORE}
