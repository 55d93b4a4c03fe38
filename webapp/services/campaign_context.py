"""The plain-data template context of campaign, reminder and trigger messages.

Only values that exist are included: a strict render of a template that needs a missing value
then fails, which is how the wizard counts "missing data for the template". Times are worded in
the candidate's own time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.services.scheduling import zone


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None, [], {})}


def when_local(at: datetime, tz_name: str, fallback: str = "UTC") -> dict[str, str]:
    tz = zone(tz_name, fallback)
    local = at.astimezone(tz)
    return {
        "at": at.isoformat(),
        "local": local.strftime("%A %d %B %Y, %H:%M") + f" ({tz.key})",
        "date": local.strftime("%A %d %B %Y"),
        "time": local.strftime("%H:%M"),
        "timezone": tz.key,
    }


def interview_context(entry: Any, tz_name: str, org_tz: str = "UTC") -> dict[str, Any]:
    if entry is None:
        return {}
    values: dict[str, Any] = {
        "duration_minutes": entry.duration_minutes,
        "location": entry.location,
        "video_url": entry.video_url,
        "status": entry.response_status,
    }
    if entry.interview_at:
        values.update(when_local(entry.interview_at, tz_name, org_tz))
    slots = []
    for raw in entry.offered_slots or []:
        slots.append(when_local(datetime.fromisoformat(raw), tz_name, org_tz)["local"])
    values["slots"] = slots
    return _present(values)


def candidate_values(candidate: Any) -> dict[str, Any]:
    return _present(
        {
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "full_name": candidate.full_name,
            "email": candidate.email,
            "timezone": candidate.timezone,
            "attributes": dict(candidate.attributes or {}),
        }
    )


def job_values(job: Any) -> dict[str, Any]:
    if job is None:
        return {}
    return _present({"title": job.title, "location": job.location, "department": job.department})


def recipient_context(org: Any, candidate: Any, entry: Any, job: Any = None) -> dict[str, Any]:
    """What goes into ``Message.context`` for one recipient."""
    return {
        "candidate": candidate_values(candidate),
        "job": job_values(job),
        "interview": interview_context(entry, candidate.timezone, org.timezone),
        "recipient": {"timezone": candidate.timezone or org.timezone, "locale": candidate.locale},
    }


def preview_context(org: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Add the link variables that sending adds per message, with harmless preview values."""
    preview = dict(context)
    preview.setdefault("org", {"name": org.name})
    preview.setdefault("sender_name", org.sender_name or org.name)
    for name in ("invite_url", "unsubscribe_url", "preferences_url"):
        preview.setdefault(name, f"https://preview.invalid/{name}")
    return preview
