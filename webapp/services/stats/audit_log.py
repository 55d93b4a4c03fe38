"""Reading the audit log: filter by action (or its area), actor and day, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, select

from webapp.extensions import db
from webapp.models import AuditLog, User
from webapp.services.stats.ranges import local_midnight, zone

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # "campaign.pause", or an area such as "campaign" for all its actions
    actor_id: uuid.UUID | None = None
    start: date | None = None  # local days in the organization's zone, inclusive
    end: date | None = None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filter_from_args(args) -> tuple[AuditFilter, str | None]:
    """The filter asked for, and an error to show next to the dates when they are wrong."""
    try:
        actor = uuid.UUID(args.get("actor")) if args.get("actor") else None
    except ValueError:
        actor = None
    start, end = _day(args.get("start")), _day(args.get("end"))
    error = None
    if (args.get("start") and start is None) or (args.get("end") and end is None):
        error = "Dates must look like 2026-03-31."
    elif start and end and end < start:
        error, start, end = "The end date is before the start date.", None, None
    action = (args.get("action") or "").strip()[:64]
    return AuditFilter(action=action, actor_id=actor, start=start, end=end), error


def _query(org_id: uuid.UUID, flt: AuditFilter, tz_name: str) -> Select:
    statement = (
        select(AuditLog, User.email, User.name)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(AuditLog.org_id == org_id)
    )
    if flt.action:
        if "." in flt.action:
            statement = statement.where(AuditLog.action == flt.action)
        else:
            statement = statement.where(AuditLog.action.startswith(flt.action + "."))
    if flt.actor_id:
        statement = statement.where(AuditLog.actor_user_id == flt.actor_id)
    tz = zone(tz_name)
    if flt.start:
        statement = statement.where(AuditLog.created_at >= local_midnight(flt.start, tz))
    if flt.end:
        end = local_midnight(flt.end + timedelta(days=1), tz)
        statement = statement.where(AuditLog.created_at < end)
    return statement


def entries_page(
    org_id: uuid.UUID, flt: AuditFilter, tz_name: str, page: int = 1
) -> tuple[list, bool]:
    """(entry, actor email, actor name) rows, newest first, and whether more follow."""
    page = max(1, page)
    statement = (
        _query(org_id, flt, tz_name)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = db.session.execute(statement).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def known_actions(org_id: uuid.UUID) -> list[str]:
    """Actions that appear in this organization's log, with their areas, for the filter."""
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.org_id == org_id).distinct()
    ).all()
    areas = {action.split(".", 1)[0] for action in actions if "." in action}
    return sorted(set(actions) | areas)


def actors(org_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    rows = db.session.execute(
        select(User.id, User.email)
        .join(AuditLog, AuditLog.actor_user_id == User.id)
        .where(AuditLog.org_id == org_id)
        .distinct()
        .order_by(User.email)
    ).all()
    return [(user_id, email) for user_id, email in rows]
