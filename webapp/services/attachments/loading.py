"""The files a message goes out with, found without costing mail that has none.

A message carries its template version's files and the files its API send gave
(``Message.attachments``, read with the row). A version's list of files never changes, so it
is kept per process after the first look: a batch of messages without attachments makes no
query here. ``preload`` looks up the versions of a whole batch not seen before in one query
and the bytes the batch needs in one more; ``files_for`` then finds the bytes in the session.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer

from webapp.extensions import db
from webapp.models import AttachmentFile, EmailTemplate, TemplateAttachment
from webapp.services.attachments.storage import FileRef

CACHED_VERSIONS = 4096
_by_version: OrderedDict[uuid.UUID, tuple[FileRef, ...]] = OrderedDict()


def version_files(version_id: uuid.UUID | None) -> tuple[FileRef, ...]:
    """The files of a template version (none for a system default, ``None``)."""
    if version_id is None:
        return ()
    found = _by_version.get(version_id)
    if found is None:
        _load_versions({version_id})
        found = _by_version[version_id]
    return found


def message_files(message: Any) -> list[FileRef]:
    return [FileRef.from_json(item) for item in (message.attachments or [])]


def preload(messages: list[Any], loaded: list[Any]) -> list[AttachmentFile]:
    """Load what ``files_for`` will need for ``messages``; ``loaded`` holds the batch's
    templates. Returns the file rows (hold on to them while rendering)."""
    versions = {m.template_version_id for m in messages if m.template_version_id}
    versions |= {t.current_version_id for t in loaded if isinstance(t, EmailTemplate)}
    versions.discard(None)
    unseen = {v for v in versions if v not in _by_version}
    if unseen:
        _load_versions(unseen)
    file_ids = {ref.file_id for v in versions for ref in _by_version.get(v, ())}
    file_ids |= {ref.file_id for m in messages if m.attachments for ref in message_files(m)}
    if not file_ids:
        return []
    return list(
        db.session.scalars(
            select(AttachmentFile)
            .where(AttachmentFile.id.in_(file_ids))
            .options(undefer(AttachmentFile.data))
        )
    )


def files_for(message: Any, version_id: uuid.UUID | None) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) of every file ``message`` goes out with."""
    refs = [*version_files(version_id), *message_files(message)]
    if not refs:
        return []
    return [(ref.filename, ref.content_type, _data(ref, message.org_id)) for ref in refs]


def _data(ref: FileRef, org_id: uuid.UUID) -> bytes:
    row = db.session.get(AttachmentFile, ref.file_id, options=[undefer(AttachmentFile.data)])
    if row is None or row.org_id != org_id:
        raise LookupError(f"the attachment {ref.filename} is no longer stored")
    return row.data


def _load_versions(version_ids: set[uuid.UUID]) -> None:
    found: dict[uuid.UUID, list[FileRef]] = {v: [] for v in version_ids}
    rows = db.session.execute(
        select(
            TemplateAttachment.template_version_id,
            TemplateAttachment.filename,
            TemplateAttachment.content_type,
            TemplateAttachment.size,
            TemplateAttachment.file_id,
        )
        .where(TemplateAttachment.template_version_id.in_(version_ids))
        .order_by(TemplateAttachment.position)
    )
    for version_id, filename, content_type, size, file_id in rows:
        found[version_id].append(FileRef(filename, content_type, size, file_id))
    for version_id, refs in found.items():
        _by_version[version_id] = tuple(refs)
    while len(_by_version) > CACHED_VERSIONS:
        _by_version.popitem(last=False)
