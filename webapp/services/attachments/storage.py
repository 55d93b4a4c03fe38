"""Storing attachment bytes once per organization and content, and the files of a version.

``store_file`` keeps a checked file's bytes under its sha256 (the same bytes uploaded twice,
or sent to many people, are one row). ``copy_attachments`` gives a new template version the
files of another one: the next version carries the current version's files, a restored
version the files of the version it restores. Only references are copied, never bytes.
``purge_unused_files`` deletes the bytes of API sends once nothing can send them again.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import AttachmentFile, Message, MessageStatus, TemplateAttachment, utcnow
from webapp.services.attachments.checks import CheckedFile


@dataclass(frozen=True)
class FileRef:
    """A file as an email carries it: its name, type and size, and where its bytes are."""

    filename: str
    content_type: str
    size: int
    file_id: uuid.UUID

    def as_json(self) -> dict:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "file_id": str(self.file_id),
        }

    @classmethod
    def from_json(cls, value: dict) -> FileRef:
        return cls(
            value["filename"], value["content_type"], value["size"], uuid.UUID(value["file_id"])
        )


def store_file(org_id: uuid.UUID, checked: CheckedFile) -> FileRef:
    """The file's bytes, stored unless the organization already has exactly these bytes."""
    digest = hashlib.sha256(checked.data).hexdigest()
    file_id = _existing(org_id, digest)
    if file_id is not None:
        db.session.execute(
            update(AttachmentFile).where(AttachmentFile.id == file_id).values(last_used_at=utcnow())
        )
    else:
        row = AttachmentFile(org_id=org_id, sha256=digest, size=checked.size, data=checked.data)
        try:
            with db.session.begin_nested():  # two uploads of the same bytes at once
                db.session.add(row)
            file_id = row.id
        except IntegrityError:
            file_id = _existing(org_id, digest)
    return FileRef(checked.filename, checked.content_type, checked.size, file_id)


def _existing(org_id: uuid.UUID, digest: str) -> uuid.UUID | None:
    return db.session.scalar(
        select(AttachmentFile.id).where(
            AttachmentFile.org_id == org_id, AttachmentFile.sha256 == digest
        )
    )


def version_attachments(version_id: uuid.UUID, org_id: uuid.UUID) -> list[TemplateAttachment]:
    """A version's files in the order they were added."""
    return list(
        db.session.scalars(
            select(TemplateAttachment)
            .where(
                TemplateAttachment.template_version_id == version_id,
                TemplateAttachment.org_id == org_id,
            )
            .order_by(TemplateAttachment.position)
        )
    )


def attachments_by_version(version_ids: list[uuid.UUID], org_id: uuid.UUID) -> dict:
    """{version id: [TemplateAttachment]} for many versions in one query (the history page)."""
    found: dict[uuid.UUID, list[TemplateAttachment]] = {}
    if not version_ids:
        return found
    rows = db.session.scalars(
        select(TemplateAttachment)
        .where(
            TemplateAttachment.template_version_id.in_(version_ids),
            TemplateAttachment.org_id == org_id,
        )
        .order_by(TemplateAttachment.position)
    )
    for row in rows:
        found.setdefault(row.template_version_id, []).append(row)
    return found


def add_reference(version, ref: FileRef, position: int) -> TemplateAttachment:
    row = TemplateAttachment(
        org_id=version.org_id,
        template_version_id=version.id,
        position=position,
        filename=ref.filename,
        content_type=ref.content_type,
        size=ref.size,
        file_id=ref.file_id,
    )
    db.session.add(row)
    return row


def copy_attachments(source_version_id: uuid.UUID | None, version) -> None:
    """Give ``version`` (just added, still without files) the files of another version."""
    if source_version_id is None:
        return
    for row in version_attachments(source_version_id, version.org_id):
        add_reference(
            version,
            FileRef(row.filename, row.content_type, row.size, row.file_id),
            row.position,
        )
    db.session.flush()


WAITING = (
    MessageStatus.SCHEDULED.value,
    MessageStatus.QUEUED.value,
    MessageStatus.SENDING.value,
    MessageStatus.DEFERRED.value,
)


def purge_unused_files(now: datetime, keep: timedelta, chunk: int = 500) -> int:
    """Delete files no template version carries, no waiting message needs, and nothing gave
    for ``keep``. A failed message retried later than that fails for want of its file."""
    waiting = {
        FileRef.from_json(item).file_id
        for files in db.session.scalars(
            select(Message.attachments).where(
                Message.status.in_(WAITING), Message.attachments.is_not(None)
            )
        )
        for item in files or []
    }
    statement = select(AttachmentFile.id).where(
        AttachmentFile.last_used_at < now - keep,
        AttachmentFile.id.not_in(select(TemplateAttachment.file_id)),
    )
    if waiting:
        statement = statement.where(AttachmentFile.id.not_in(waiting))
    removed = 0
    while ids := db.session.scalars(statement.limit(chunk)).all():
        db.session.execute(delete(AttachmentFile).where(AttachmentFile.id.in_(ids)))
        db.session.commit()
        removed += len(ids)
    return removed
