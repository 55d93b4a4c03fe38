"""Digests: notifications held back and combined into one email at the recipient's hour.

Each held notification is rendered when it is held (``summarize``): its subject, one line (its
preheader, else the first line of its text) and its main link are what the digest lists, under
``digest.entries`` with the recipient's local date as ``digest.date``.

A recipient whose Preference has ``digest_frequency`` daily or weekly gets notifications of
the ``digests`` category, and of any category listed in ``digest_categories``, (from event
triggers) as ``DigestItem`` rows instead of one email each. ``send_due_digests`` (every few
minutes from the scheduler) finds recipients whose local hour is their ``digest_hour``
(weekly: on Monday), creates ONE message with every pending item, and stamps the items. The
message's idempotency key names the recipient and local date, so a digest goes out once even
if the job runs twice in that hour.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Candidate, Message, Organization, Preference, utcnow
from webapp.models.audience import DigestItem
from webapp.services.scheduling import zone
from webapp.services.sending.outbox import create_message
from webapp.services.templates.context_data import candidate_data

logger = logging.getLogger(__name__)


def wants_digest(org_id: uuid.UUID, email: str, category: str) -> bool:
    pref = db.session.scalars(
        select(Preference).where(Preference.org_id == org_id, Preference.email == email.lower())
    ).first()
    if pref is None or pref.digest_frequency not in ("daily", "weekly"):
        return False
    # The preference page's "how often to send digests" applies to the "digests" category;
    # ``digest_categories`` lets a recipient (or the API) add others.
    return category == "digests" or category in (pref.digest_categories or [])


def summarize(
    org: Organization, version: Any, *, email: str, to_name: str, context: dict[str, Any]
) -> dict[str, str]:
    """What a digest lists for one held notification: its rendered subject, a line, a link."""
    from webapp.services.rendering import BrandData, TemplateSource, render
    from webapp.services.templates.compose import build_context

    if version is None:
        return {"title": "", "detail": "", "url": ""}
    from webapp.services.templates.translations import variant_for

    full = build_context(org, to_email=email, to_name=to_name, extra=context)
    person = context.get("candidate") if isinstance(context.get("candidate"), dict) else {}
    source, full["language"] = variant_for(
        TemplateSource.from_version(version), org, lambda: str(person.get("locale") or "")
    )
    result = render(source, BrandData.from_org(org), full, link_rewriter=lambda url, _: url)
    lines = [line.strip() for line in (result.text or "").splitlines() if line.strip()]
    detail = result.preheader.strip() or (lines[0] if lines else "")
    url = next((link for link in result.links if link.startswith(("https://", "http://"))), "")
    return {"title": result.subject.strip(), "detail": detail[:300], "url": url}


def hold(
    org_id: uuid.UUID,
    *,
    email: str,
    category: str,
    kind: str,
    subject: str,
    context: dict[str, Any],
    candidate_id: uuid.UUID | None = None,
    entry: dict[str, str] | None = None,
) -> DigestItem:
    """Keep a notification for the recipient's next digest; ``entry`` (``summarize``) is
    what the digest will say about it."""
    entry = entry or {}
    item = DigestItem(
        org_id=org_id,
        email=email.lower(),
        category=category,
        kind=kind,
        subject=entry.get("title") or subject,
        context={**context, "digest_entry": entry},
        candidate_id=candidate_id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def _is_due(pref: Preference, tz_name: str, org_tz: str, now: datetime) -> tuple[bool, str]:
    local = now.astimezone(zone(tz_name, org_tz))
    if local.hour != pref.digest_hour:
        return False, ""
    if pref.digest_frequency == "weekly" and local.weekday() != 0:
        return False, ""
    return True, local.date().isoformat()


def send_due_digests(now: datetime | None = None) -> int:
    """Create the digest messages that are due; returns how many. The caller commits."""
    now = now or utcnow()
    pending = (
        select(DigestItem.org_id, DigestItem.email)
        .where(DigestItem.digest_message_id.is_(None))
        .distinct()
    )
    sent = 0
    for org_id, email in list(db.session.execute(pending)):
        if send_digest(org_id, email, now) is not None:
            sent += 1
    return sent


def send_digest(org_id: uuid.UUID, email: str, now: datetime) -> Message | None:
    pref = db.session.scalars(
        select(Preference).where(Preference.org_id == org_id, Preference.email == email)
    ).first()
    if pref is None or pref.digest_frequency not in ("daily", "weekly"):
        return _release(org_id, email, now)
    org = db.session.get(Organization, org_id)
    candidate = db.session.scalars(
        select(Candidate).where(Candidate.org_id == org_id, Candidate.email == email)
    ).first()
    due, local_date = _is_due(pref, candidate.timezone if candidate else "", org.timezone, now)
    key = f"digest:{email}:{local_date}"
    if not due or db.session.scalar(
        select(Message.id).where(Message.org_id == org_id, Message.idempotency_key == key)
    ):
        return None
    items = list(db.session.scalars(_pending(org_id, email).order_by(DigestItem.created_at)))
    message = create_message(
        org_id,
        to_email=email,
        to_name=candidate.full_name if candidate else "",
        context=_context(candidate, items, local_date),
        category="digests",
        is_transactional=False,
        kind="digest",
        candidate_id=candidate.id if candidate else None,
        idempotency_key=key,
    )
    _stamp(items, message.id)
    return message


def _pending(org_id: uuid.UUID, email: str):
    return select(DigestItem).where(
        DigestItem.org_id == org_id,
        DigestItem.email == email,
        DigestItem.digest_message_id.is_(None),
    )


def _stamp(items: list[DigestItem], message_id: uuid.UUID) -> None:
    db.session.execute(
        update(DigestItem)
        .where(DigestItem.id.in_([i.id for i in items]))
        .values(digest_message_id=message_id)
    )


def _context(
    candidate: Candidate | None, items: list[DigestItem], local_date: str
) -> dict[str, Any]:
    return {
        "candidate": candidate_data(candidate) if candidate else {},
        "digest": {"date": local_date, "entries": [_entry(i) for i in items], "url": ""},
        "items": [
            {
                "subject": i.subject,
                "kind": i.kind,
                "category": i.category,
                "created_at": i.created_at.isoformat(),
                "data": i.context,
            }
            for i in items
        ],
        "item_count": len(items),
    }


def _entry(item: DigestItem) -> dict[str, str]:
    entry = dict((item.context or {}).get("digest_entry") or {})
    return {
        "title": entry.get("title") or item.subject,
        "detail": entry.get("detail", ""),
        "url": entry.get("url", ""),
    }


def _release(org_id: uuid.UUID, email: str, now: datetime) -> Message | None:
    """The recipient turned digests off: send what was held as one message now."""
    items = list(db.session.scalars(_pending(org_id, email)))
    if not items:
        return None
    org = db.session.get(Organization, org_id)
    message = create_message(
        org_id,
        to_email=email,
        context=_context(None, items, now.astimezone(zone("", org.timezone)).date().isoformat()),
        category="digests",
        is_transactional=False,
        kind="digest",
        idempotency_key=f"digest:{email}:{now.isoformat()}",
    )
    _stamp(items, message.id)
    return message
