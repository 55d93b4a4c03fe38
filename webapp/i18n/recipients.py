"""The language a public page speaks to the person a signed link stands for.

The message the link came from says how it was written (its chosen ``language`` when sending
recorded one, else its recipient's locale); then the candidate with that address in the
organization; then the organization's language; then English (``languages.negotiate``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Candidate, Message


def message_locales(message: Message | None) -> list[str]:
    """The language the message was written in, or its recipient's locale, if it says."""
    if message is None:
        return []
    context = message.context or {}
    recipient = context.get("recipient") if isinstance(context, dict) else None
    found = [getattr(message, "language", None), context.get("language")]
    if isinstance(recipient, dict):
        found.append(recipient.get("locale"))
    return [value for value in found if isinstance(value, str) and value]


def link_language_preferences(
    org: Any, email: str, message_id: uuid.UUID | None = None
) -> list[str]:
    """Locales to try, best first, for an unsubscribe or preference link."""
    message = db.session.get(Message, message_id) if message_id else None
    found = message_locales(message if message and message.org_id == org.id else None)
    candidate = db.session.scalars(
        select(Candidate).where(Candidate.org_id == org.id, Candidate.email == email.lower())
    ).first()
    if candidate is not None and candidate.locale:
        found.append(candidate.locale)
    return [*found, org.locale or ""]
