"""Adding and removing a template's files: each change is a new version of the template.

The new version has the current version's subject and body and the changed list of files,
so the history shows who attached what, a message names the version (and so the files) it
was sent with, and restoring an old version brings its files back.
"""

from __future__ import annotations

import uuid

from webapp.extensions import db
from webapp.models import EmailTemplate, TemplateAttachment, TemplateVersion
from webapp.services import audit
from webapp.services.attachments.checks import (
    MAX_FILES,
    AttachmentRejected,
    CheckedFile,
    Limits,
    check_total,
)
from webapp.services.attachments.storage import add_reference, store_file, version_attachments
from webapp.services.rendering.types import TemplateSource
from webapp.services.templates.library import add_version


def current_attachments(template: EmailTemplate) -> list[TemplateAttachment]:
    if template.current_version_id is None:
        return []
    return version_attachments(template.current_version_id, template.org_id)


def attach(
    template: EmailTemplate,
    checked: CheckedFile,
    limits: Limits,
    *,
    user_id: uuid.UUID | None,
    actor_label: str,
) -> TemplateVersion:
    """A new version with ``checked`` added (replacing a file of the same name)."""
    if template.current_version is None:
        raise AttachmentRejected("Save the template before attaching files.")
    kept = [a for a in current_attachments(template) if a.filename != checked.filename]
    if len(kept) >= MAX_FILES:
        raise AttachmentRejected(f"A template can carry at most {MAX_FILES} files.")
    check_total([a.size for a in kept] + [checked.size], limits)
    replaced = len(kept) < len(current_attachments(template))
    verb = "Replaced" if replaced else "Attached"
    version = _new_version(template, f"{verb} {checked.filename}", user_id)
    for row in version_attachments(version.id, template.org_id):
        if row.filename == checked.filename:
            db.session.delete(row)
    ref = store_file(template.org_id, checked)
    add_reference(version, ref, position=max((a.position for a in kept), default=-1) + 1)
    db.session.flush()
    _audit(template, "template.attach", version, ref.filename, user_id, actor_label)
    return version


def detach(
    template: EmailTemplate,
    attachment: TemplateAttachment,
    *,
    user_id: uuid.UUID | None,
    actor_label: str,
) -> TemplateVersion:
    """A new version without ``attachment`` (a file of the current version)."""
    version = _new_version(template, f"Removed {attachment.filename}", user_id)
    for row in version_attachments(version.id, template.org_id):
        if row.position == attachment.position:
            db.session.delete(row)
    db.session.flush()
    _audit(template, "template.detach", version, attachment.filename, user_id, actor_label)
    return version


def _new_version(template: EmailTemplate, note: str, user_id) -> TemplateVersion:
    source = TemplateSource.from_version(template.current_version)
    return add_version(template, source, user_id=user_id, note=note)


def _audit(template, action: str, version, filename: str, user_id, actor_label: str) -> None:
    audit.record(
        template.org_id,
        action,
        actor_user_id=user_id,
        actor_label=actor_label,
        target_type="template",
        target_id=template.id,
        details={"file": filename, "version": version.number},
    )
