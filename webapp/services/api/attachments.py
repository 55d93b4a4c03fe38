"""Files given with an API send: ``attachments: [{filename, content_type, content}]``.

``content`` is standard base64 (RFC 4648; line breaks allowed). Each file is checked as a
studio upload is (``attachments.checks``: type allow-list, content that looks like its type,
``HERALD_ATTACHMENT_MAX_BYTES``), and the send's files together with the template's own stay
within ``HERALD_ATTACHMENTS_TOTAL_MAX_BYTES``. Refusals name the field:
``attachments.0.content``, ``attachments.1.filename`` or ``attachments`` for the total.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from typing import Any

from flask import current_app

from webapp.services.api.validation import FieldErrors
from webapp.services.attachments.checks import (
    AttachmentRejected,
    CheckedFile,
    Limits,
    check_file,
    check_total,
    megabytes,
)
from webapp.services.attachments.loading import version_files
from webapp.services.attachments.storage import store_file

_WHITESPACE = re.compile(r"\s+")


def limits() -> Limits:
    return Limits.from_settings(current_app.config["HERALD"])


def decode(items: list[dict[str, Any]], content: dict[str, Any] | None) -> list[CheckedFile]:
    """The checked files of a send request, or ``FieldErrors`` naming each bad one.
    ``content`` is the resolved template content (its version's files count in the total)."""
    bounds = limits()
    errors, files = [], []
    for index, item in enumerate(items):
        try:
            data = _base64(item["content"], bounds)
            files.append(check_file(item["filename"], data, bounds, item["content_type"]))
        except AttachmentRejected as exc:
            errors.append({"field": f"attachments.{index}.{exc.field}", "message": str(exc)})
    if not errors:
        version_id = (content or {}).get("template_version_id")
        carried = [ref.size for ref in version_files(version_id)]
        try:
            check_total(carried + [f.size for f in files], bounds)
        except AttachmentRejected as exc:
            where = " (the template's own files included)" if carried else ""
            errors.append({"field": "attachments", "message": f"{exc}{where}"})
    if errors:
        raise FieldErrors(errors)
    return files


def store(org_id: uuid.UUID, files: list[CheckedFile], seen: dict | None = None) -> list[dict]:
    """Store the bytes (once per content; ``seen`` spares a bulk request repeated lookups)
    and return the message's ``attachments`` value."""
    seen = {} if seen is None else seen
    refs = []
    for checked in files:
        key = hashlib.sha256(checked.data).digest()
        if key not in seen:
            seen[key] = store_file(org_id, checked).file_id
        refs.append(
            {
                "filename": checked.filename,
                "content_type": checked.content_type,
                "size": checked.size,
                "file_id": str(seen[key]),
            }
        )
    return refs


def _base64(value: str, bounds: Limits) -> bytes:
    compact = _WHITESPACE.sub("", value)
    if len(compact) // 4 * 3 > bounds.per_file + 2:  # refused before decoding
        raise AttachmentRejected(
            f"is about {megabytes(len(compact) // 4 * 3)}; a file can be at most "
            f"{megabytes(bounds.per_file)}"
        )
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise AttachmentRejected(
            "is not valid base64 (RFC 4648 standard alphabet, padded with =)"
        ) from None
