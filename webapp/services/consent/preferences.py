"""What each recipient chose to receive (REQUIREMENTS C3-C6).

Categories a recipient can leave: invitations, reminders, updates, digests, marketing.
Transactional mail (confirmations a person is waiting for) has no category opt-out.
"Unsubscribe from everything" also adds the address to the suppression list, so every
sending path (which re-checks right before SMTP) skips it; resubscribing lifts both.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.i18n.catalogs import N_
from webapp.models import Preference
from webapp.services.consent import suppressions
from webapp.services.notify import webhooks as outgoing_webhooks

# Labels are marked for the catalogs here and translated on the preference page.
CATEGORY_CHOICES = (
    ("invitations", N_("Interview invitations")),
    ("reminders", N_("Interview reminders")),
    ("updates", N_("Updates about your application")),
    ("digests", N_("Digest of your updates (several updates in one email)")),
    ("marketing", N_("News and events from us")),
)
CATEGORY_KEYS = tuple(key for key, _ in CATEGORY_CHOICES)
DIGEST_FREQUENCIES = ("off", "daily", "weekly")


def _row(org_id: uuid.UUID, email: str) -> Preference | None:
    return db.session.scalars(
        select(Preference).where(
            Preference.org_id == org_id, Preference.email == suppressions.normalize(email)
        )
    ).first()


def _row_or_new(org_id: uuid.UUID, email: str) -> Preference:
    row = _row(org_id, email)
    if row is None:
        row = Preference(org_id=org_id, email=suppressions.normalize(email))
        row.opted_out_categories, row.digest_categories = [], []
        row.digest_frequency, row.unsubscribed_all = "off", False
        db.session.add(row)
    return row


def get_preferences(org_id: uuid.UUID, email: str) -> dict[str, Any]:
    row = _row(org_id, email)
    suppression = suppressions.find(org_id, email)
    opted_out = list(row.opted_out_categories) if row else []
    return {
        "email": suppressions.normalize(email),
        "opted_out_categories": opted_out,
        "subscribed_categories": [key for key in CATEGORY_KEYS if key not in opted_out],
        "digest_frequency": row.digest_frequency if row else "off",
        "unsubscribed_all": bool(row and row.unsubscribed_all) or suppression is not None,
        "suppression_reason": suppression.reason if suppression else None,
    }


def update_preferences(
    org_id: uuid.UUID,
    email: str,
    *,
    subscribed_categories: list[str],
    digest_frequency: str = "off",
) -> Preference:
    """Keep the chosen categories; leaving every category counts as unsubscribing from all."""
    row = _row_or_new(org_id, email)
    chosen = [key for key in subscribed_categories if key in CATEGORY_KEYS]
    row.opted_out_categories = [key for key in CATEGORY_KEYS if key not in chosen]
    row.digest_frequency = digest_frequency if digest_frequency in DIGEST_FREQUENCIES else "off"
    if "digests" not in chosen:
        row.digest_frequency = "off"
    db.session.flush()
    if not chosen:
        unsubscribe_all(org_id, email)
    elif row.unsubscribed_all:
        resubscribe(org_id, email)
    return row


def unsubscribe_all(
    org_id: uuid.UUID, email: str, *, message_id: uuid.UUID | None = None, source: str = "page"
) -> bool:
    """Leave everything. Idempotent: returns False when the address was already out."""
    row = _row_or_new(org_id, email)
    was_out = row.unsubscribed_all and suppressions.is_suppressed(org_id, email)
    row.unsubscribed_all = True
    suppressions.suppress(org_id, email, "unsubscribed", source_message_id=message_id)
    db.session.flush()
    if was_out:
        return False
    outgoing_webhooks.emit(
        org_id,
        "recipient.unsubscribed",
        {
            "email": row.email,
            "message_id": str(message_id) if message_id else None,
            "source": source,
        },
    )
    return True


def resubscribe(org_id: uuid.UUID, email: str) -> bool:
    """Undo an unsubscribe. Bounces and complaints stay: only an admin can lift those."""
    row = _row_or_new(org_id, email)
    row.unsubscribed_all = False
    lifted = suppressions.unsuppress(org_id, email, only_reasons=suppressions.SELF_SERVICE_REASONS)
    db.session.flush()
    return lifted


def refusal(org_id: uuid.UUID, email: str, category: str, *, is_transactional: bool) -> str | None:
    """Why this message may not go out (``None``: it may), by the rule the sending pipeline
    applies right before SMTP: bulk mail stops at any suppression or opted-out category;
    transactional mail a person is waiting for stops only at bounces, complaints and
    addresses an admin blocked."""
    suppression = suppressions.find(org_id, email)
    if suppression is not None and (not is_transactional or suppression.reason != "unsubscribed"):
        return f"suppressed: {suppression.reason}"
    if is_transactional or category not in CATEGORY_KEYS:
        return None
    row = _row(org_id, email)
    if row is not None and (row.unsubscribed_all or category in (row.opted_out_categories or [])):
        return f"recipient opted out of {category}"
    return None


class Recipient:
    """Who a public unsubscribe or preference link stands for (verified token + rows)."""

    __slots__ = ("email", "message_id", "org")

    def __init__(self, org, email: str, message_id: uuid.UUID | None):
        self.org, self.email, self.message_id = org, email, message_id


def recipient_from_token(purpose: str, token: str) -> Recipient | None:
    """``None`` for a tampered, expired or unknown token, an unknown organization, or a
    message of another organization: the caller answers one uniform 404 (C5)."""
    from webapp.models import Message, Organization
    from webapp.services.tokens import InvalidToken, read_token

    try:
        payload = read_token(purpose, token)
    except InvalidToken:
        return None
    size = 3 if purpose == "unsubscribe" else 2
    if not isinstance(payload, list) or len(payload) != size:
        return None
    try:
        org_id = uuid.UUID(payload[0])
        message_id = uuid.UUID(payload[1]) if size == 3 and payload[1] else None
    except (ValueError, TypeError, AttributeError):
        return None
    email = payload[-1]
    org = db.session.get(Organization, org_id)
    if org is None or not isinstance(email, str) or "@" not in email:
        return None
    if message_id is not None:
        message = db.session.get(Message, message_id)
        if message is None or message.org_id != org_id:
            return None
    return Recipient(org, suppressions.normalize(email), message_id)
