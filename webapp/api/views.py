"""The JSON API for integrations (/api/v1). Each resource module declares its routes with
``framework.endpoint``; the OpenAPI document is built from those declarations."""

from flask import current_app

from webapp.api import bp
from webapp.api.framework import json_response
from webapp.api.openapi import build_document

# Resource modules register their routes when imported.
from webapp.api import audience, automation, content, delivery, messages  # noqa: F401  isort: skip


@bp.get("/openapi.json")
def openapi():
    settings = current_app.config["HERALD"]
    return json_response(build_document(settings.public_url))
