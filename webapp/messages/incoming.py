"""Attachments of a candidate's reply, downloaded from the message page (members only: the
blueprint's guard applies)."""

from __future__ import annotations

from flask import abort, g

from webapp.messages import bp
from webapp.models import Message
from webapp.services.inbound import history
from webapp.tenancy import get_or_404


@bp.get("/<uuid:message_id>/incoming/<uuid:inbound_id>/attachments/<index>")
def attachment(message_id, inbound_id, index: str):
    message = get_or_404(Message, message_id, g.org)
    if not index.isdigit():
        abort(404)
    found = history.attachment(g.org.id, message.id, inbound_id, int(index))
    if found is None:
        abort(404)
    filename, _content_type, data = found
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ") or "attachment"
    headers = {
        # never rendered inline: what a stranger attached is only ever downloaded
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Content-Type-Options": "nosniff",
    }
    return data, 200, headers
