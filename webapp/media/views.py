"""Public images for emails: ``/media/<uuid>.<png|jpg>``, nothing else (no listing).

An image never changes once stored (a new upload is a new id), so the answer may be cached
for a year by browsers, mail-client proxies and CDNs alike.
"""

from __future__ import annotations

from flask import Response, abort, request
from sqlalchemy import select

from webapp.extensions import db
from webapp.media import bp
from webapp.models import Image
from webapp.services.templates.images import find_by_public_name

ONE_YEAR = 365 * 24 * 3600


@bp.get("/<name>")
def show(name):
    image = find_by_public_name(name)
    if image is None:
        abort(404)
    etag = image.sha256[:32]
    headers = {
        "Cache-Control": f"public, max-age={ONE_YEAR}, immutable",
        "ETag": f'"{etag}"',
        "Content-Security-Policy": "default-src 'none'",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    data = db.session.scalar(select(Image.data).where(Image.id == image.id))
    return Response(data, mimetype=image.content_type, headers=headers)
