"""Provider webhooks: ``POST /webhooks/<provider>/<endpoint_key>`` (W1-W7).

Authenticated by the provider's signature (or Basic credentials for Postmark), never by a
cookie. Unknown provider or key: 404. The HTTPS fetcher SNS needs is taken from
``app.extensions["herald.https_fetch"]`` when set (tests serve their own certificate there).
"""

from flask import Response, current_app, request

from webapp.errors import problem
from webapp.redis_client import get_redis
from webapp.services.provider_events import MAX_BODY_BYTES, Context, Incoming
from webapp.services.provider_events.intake import https_fetch, receive
from webapp.throttle import enforce
from webapp.webhooks import bp

TITLES = {400: "Bad Request", 413: "Content Too Large"}


@bp.before_request
def _bound_body() -> None:
    request.max_content_length = MAX_BODY_BYTES  # werkzeug answers 413 beyond it


@bp.post("/<provider>/<endpoint_key>")
def receive_events(provider: str, endpoint_key: str):
    enforce("webhooks", current_app.config["HERALD"].public_rate_limit)
    incoming = Incoming(
        headers=request.headers, body=request.get_data(cache=False), remote_addr=request.remote_addr
    )
    fetch = current_app.extensions.get("herald.https_fetch", https_fetch)
    outcome = receive(provider, endpoint_key, incoming, Context(conn=get_redis(), fetch=fetch))
    if outcome.status in TITLES:  # a malformed body: say what is wrong, as the API does
        return problem(outcome.status, TITLES[outcome.status], outcome.text)
    response = Response(outcome.text + "\n", status=outcome.status, mimetype="text/plain")
    if outcome.status == 401 and provider == "postmark":
        response.headers["WWW-Authenticate"] = 'Basic realm="herald"'
    return response
