"""Everything a batch renders from, loaded for the whole batch at once.

A campaign message names its shortlist entry; rendering reads the entry, its candidate, the
shortlist's job and the template version. Loading those one message at a time cost four
queries per email (most of a worker's time); here they are a few ``IN`` queries per batch,
whatever its size. The rows land in the session's identity map, so ``compose`` finds them
with ``Session.get`` and relationship access without another query. The caller keeps the
returned list while it renders: the identity map only holds weak references.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import EmailTemplate, Message, Shortlist, ShortlistEntry, TemplateVersion
from webapp.services.attachments import loading as attachments


def preload(messages: list[Message]) -> list[Any]:
    """Load the entries (with candidate, shortlist and job), templates and versions of
    ``messages``; returns the loaded objects (hold on to them while rendering)."""
    held: list[Any] = []
    entry_ids = {m.shortlist_entry_id for m in messages if m.shortlist_entry_id}
    if entry_ids:
        held += db.session.scalars(
            select(ShortlistEntry)
            .where(ShortlistEntry.id.in_(entry_ids))
            .options(
                selectinload(ShortlistEntry.candidate),
                selectinload(ShortlistEntry.shortlist).selectinload(Shortlist.job),
            )
        ).all()
    template_ids = {m.template_id for m in messages if m.template_id}
    if template_ids:
        held += db.session.scalars(
            select(EmailTemplate).where(EmailTemplate.id.in_(template_ids))
        ).all()
    version_ids = {m.template_version_id for m in messages if m.template_version_id}
    if version_ids:
        held += db.session.scalars(
            select(TemplateVersion).where(TemplateVersion.id.in_(version_ids))
        ).all()
    held += attachments.preload(messages, held)  # no query for versions seen before
    return held
