"""What a message says, from the template studio's ``compose_message``.

``compose_message(message, org)`` renders the template (or the system default for the message's
kind), or the raw content, with click tracking, the open pixel and the interview ``.ics``;
the template version's files and the API send's own files go first (``attachments.loading``).
A message whose template cannot be rendered fails without an SMTP attempt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from webapp.models import Message, Organization
from webapp.services.attachments.loading import files_for
from webapp.services.templates.compose import compose_message


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Content:
    subject: str
    html: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    template_version_id: uuid.UUID | None = None
    language: str = ""


class ComposeError(Exception):
    """The message cannot be rendered (a broken template): it fails without an SMTP attempt."""


def compose(message: Message, org: Organization) -> Content:
    try:
        composed = compose_message(message, org)
    except Exception as exc:  # a template error fails this message, not the batch
        raise ComposeError(f"the template could not be rendered: {exc}") from exc
    try:  # the template version's files and the send's own, then the interview .ics
        files = files_for(message, composed.template_version_id)
    except LookupError as exc:
        raise ComposeError(str(exc)) from exc
    return Content(
        subject=composed.subject,
        html=composed.html,
        text=composed.text,
        attachments=[_attachment(item) for item in [*files, *(composed.attachments or [])]],
        links=list(composed.links or []),
        template_version_id=composed.template_version_id,
        language=composed.language,
    )


def _attachment(item: Any) -> Attachment:
    """Accept the composer's attachment as an object, a dict or a (name, type, data) tuple."""
    if isinstance(item, Attachment):
        return item
    if isinstance(item, dict):
        name, kind, data = item["filename"], item["content_type"], item["data"]
    elif isinstance(item, tuple | list):
        name, kind, data = item
    else:
        name, kind, data = item.filename, item.content_type, item.data
    return Attachment(name, kind, data.encode() if isinstance(data, str) else data)
