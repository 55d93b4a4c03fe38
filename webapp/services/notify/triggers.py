"""Event triggers: organization rules that turn an event into an email.

``trigger_event(org, event_type, data)`` finds the enabled rules for the event type and
creates one message per rule for the person the event is about (``data["candidate_id"]`` or
``data["email"]``), due:
- ``now``: at once;
- ``after``: ``delay_hours`` after the event;
- ``before``: ``delay_hours`` before the time in ``data[time_field]`` (ISO-8601); a time
  already past sends at once.
A recipient who chose a digest for the template's category gets a DigestItem instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Candidate, EmailTemplate, Organization, TriggerRule, utcnow
from webapp.services.audience.candidates import CandidateError, normalize_email
from webapp.services.notify import digests
from webapp.services.sending.outbox import create_message
from webapp.services.templates.context_data import candidate_data
from webapp.tenancy import parse_uuid, scoped

BUILTIN_EVENTS = ("interview.scheduled", "interview.canceled", "application.received")
DELAY_MODES = (
    ("now", "Right away"),
    ("after", "N hours after the event"),
    ("before", "N hours before a time in the event"),
)


class TriggerError(ValueError):
    pass


@dataclass
class TriggerResult:
    rule_id: uuid.UUID
    message_id: uuid.UUID | None = None
    digest_item_id: uuid.UUID | None = None


def due_time(rule: TriggerRule, data: dict[str, Any], now: datetime) -> datetime:
    if rule.delay_mode == "after":
        return now + timedelta(hours=rule.delay_hours)
    if rule.delay_mode == "before":
        raw = data.get(rule.time_field)
        if not raw:
            raise TriggerError(f"The event has no {rule.time_field!r} time.")
        at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        return max(at - timedelta(hours=rule.delay_hours), now)
    return now


def _recipient(org: Organization, data: dict[str, Any]) -> tuple[str, Candidate | None]:
    cid = parse_uuid(data.get("candidate_id"))
    if cid:
        candidate = db.session.scalars(
            scoped(select(Candidate), org).where(Candidate.id == cid)
        ).first()
        if candidate is None or candidate.erased_at:
            raise TriggerError("Unknown candidate.")
        return candidate.email, candidate
    try:
        email = normalize_email(str(data.get("email") or ""))
    except CandidateError as exc:
        raise TriggerError("The event needs a candidate_id or a valid email.") from exc
    candidate = db.session.scalars(
        scoped(select(Candidate), org).where(Candidate.email == email)
    ).first()
    return email, candidate


def trigger_event(
    org: Organization, event_type: str, data: dict[str, Any], now: datetime | None = None
) -> list[TriggerResult]:
    """Apply the organization's rules for ``event_type``; raises TriggerError on bad data."""
    now = now or utcnow()
    rules = list(
        db.session.scalars(
            scoped(select(TriggerRule), org).where(
                TriggerRule.event_type == event_type, TriggerRule.is_enabled.is_(True)
            )
        )
    )
    if not rules:
        return []
    email, candidate = _recipient(org, data)
    context = event_context(event_type, _plain(data), candidate, email)
    return [_apply(org, rule, email, candidate, context, data, now) for rule in rules]


EVENT_SECTIONS = ("candidate", "job", "interview")


def event_context(
    event_type: str, data: dict[str, Any], candidate: Candidate | None, email: str
) -> dict[str, Any]:
    """What a template sees for an event (docs/templates.md, "Event data"):

    ``event`` is the event itself (``event.type`` and every field of its ``data``), and the
    event's ``data.candidate``, ``data.job`` and ``data.interview`` are also ``candidate``,
    ``job`` and ``interview``, the names every template uses. The candidate's own record
    wins where it has a value; the event fills in what it lacks.
    """
    context: dict[str, Any] = {"event": {**data, "type": event_type}}
    for name in EVENT_SECTIONS:
        if isinstance(data.get(name), dict):
            context[name] = dict(data[name])
    person = context.setdefault("candidate", {})
    if candidate is not None:
        person.update({k: v for k, v in candidate_data(candidate).items() if v not in ("", None)})
    person.setdefault("email", email)
    if not person.get("full_name"):
        parts = (person.get("first_name"), person.get("last_name"))
        person["full_name"] = " ".join(str(p) for p in parts if p)
    return context


def _apply(org, rule, email, candidate, context, data, now) -> TriggerResult:
    template = db.session.get(EmailTemplate, rule.template_id)
    category = template.category if template else "updates"
    to_name = candidate.full_name if candidate else context["candidate"]["full_name"]
    if digests.wants_digest(org.id, email, category):
        version = template.current_version if template else None
        item = digests.hold(
            org.id,
            email=email,
            category=category,
            kind=template.type if template else "custom",
            subject=template.name if template else rule.event_type,
            context=context,
            candidate_id=candidate.id if candidate else None,
            entry=digests.summarize(org, version, email=email, to_name=to_name, context=context),
        )
        return TriggerResult(rule.id, digest_item_id=item.id)
    message = create_message(
        org.id,
        to_email=email,
        to_name=to_name,
        template_id=rule.template_id,
        template_version_id=template.current_version_id if template else None,
        context=context,
        category=category,
        is_transactional=category == "transactional",
        kind=template.type if template else "custom",
        send_after=due_time(rule, data, now),
        candidate_id=candidate.id if candidate else None,
    )
    return TriggerResult(rule.id, message_id=message.id)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Only plain JSON values reach the template context (REQUIREMENTS T2)."""
    allowed = (str, int, float, bool, type(None), list, dict)
    return {str(k): v for k, v in data.items() if isinstance(v, allowed)}


def save_rule(
    org_id: uuid.UUID,
    *,
    event_type: str,
    template_id: uuid.UUID,
    delay_mode: str,
    delay_hours: float,
    time_field: str,
) -> TriggerRule:
    event_type = event_type.strip()
    if not event_type or len(event_type) > 100:
        raise TriggerError("Name the event type, e.g. interview.scheduled.")
    if delay_mode == "before" and not time_field.strip():
        raise TriggerError("Name the event field holding the time, e.g. interview_at.")
    rule = TriggerRule(
        org_id=org_id,
        event_type=event_type,
        template_id=template_id,
        delay_mode=delay_mode,
        delay_hours=max(delay_hours, 0),
        time_field=time_field.strip(),
        is_enabled=True,
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def rules(org_id: uuid.UUID) -> list[tuple[TriggerRule, EmailTemplate | None]]:
    statement = (
        scoped(select(TriggerRule, EmailTemplate), org_id, TriggerRule)
        .outerjoin(EmailTemplate, EmailTemplate.id == TriggerRule.template_id)
        .order_by(TriggerRule.event_type, TriggerRule.created_at)
    )
    return [(r, t) for r, t in db.session.execute(statement)]


def interview_event(org: Organization, entry: Any, change: str) -> list[TriggerResult]:
    """Fire ``interview.scheduled``/``interview.canceled`` for an edited shortlist entry."""
    event_type = {"set": "interview.scheduled", "moved": "interview.scheduled"}.get(change)
    if change == "canceled":
        event_type = "interview.canceled"
    if event_type is None:
        return []
    data = {
        "candidate_id": str(entry.candidate_id),
        "shortlist_entry_id": str(entry.id),
        "interview_at": entry.interview_at.isoformat() if entry.interview_at else "",
        "rescheduled": change == "moved",
    }
    return trigger_event(org, event_type, data)
