"""Image uploads from the template studio and the brand settings (editors and above).

The answer is JSON for the page's script: the public address to put in the email, or the
reason the file was refused. The public side lives in ``webapp.media``.
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_login import current_user

from webapp.current import guard_blueprint
from webapp.extensions import db
from webapp.images import bp
from webapp.models import Role
from webapp.services import audit
from webapp.services.templates import images

guard_blueprint(bp, read=Role.VIEWER, write=Role.EDITOR)


@bp.post("/")
def upload():
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return jsonify(error="Choose an image file to upload."), 422
    raw = upload.stream.read(images.MAX_UPLOAD_BYTES + 1)
    try:
        image = images.store_image(g.org.id, raw, filename=upload.filename, user_id=current_user.id)
    except images.ImageRejected as rejected:
        return jsonify(error=str(rejected)), 422
    audit.record(
        g.org.id,
        "image.upload",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="image",
        target_id=image.id,
        details={"width": image.width, "height": image.height, "bytes": image.byte_size},
    )
    db.session.commit()
    base_url = current_app.config["HERALD"].public_url
    return jsonify(
        url=images.public_url(image, base_url),
        width=image.width,
        height=image.height,
        filename=image.filename,
    ), 201
