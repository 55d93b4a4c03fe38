"""The plain-data template context of campaign, reminder and trigger messages.

Every standard key is always present (empty when unknown), so templates can test
``{% if interview.at %}`` under strict rendering; the wizard's "missing data" check looks for
empty values the template prints without such a test. Times are worded in the candidate's own
time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.services.scheduling import zone
from webapp.services.templates.context_data import candidate_data, job_data


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


EMPTY_WHEN = {"at": "", "local": "", "date": "", "time": "", "timezone": ""}


def interview_context(
    entry: Any, tz_name: str, org_tz: str = "UTC", *, words: bool = True
) -> dict[str, Any]:
    """The interview as plain data; ``words`` adds the local date and time as text (the
    fan-out leaves them out: templates format ``interview.at`` with the date filters)."""
    values: dict[str, Any] = {
        **EMPTY_WHEN,
        "duration_minutes": entry.duration_minutes if entry else 0,
        "location": entry.location if entry else "",
        "video_url": entry.video_url if entry else "",
        "status": entry.response_status if entry else "",
        "slots": [],
    }
    if entry is not None and entry.interview_at:
        if words:
            values.update(when_local(entry.interview_at, tz_name, org_tz))
        else:
            values.update(at=entry.interview_at.isoformat(), timezone=tz_name or org_tz)
    for raw in (entry.offered_slots or []) if entry is not None and words else []:
        values["slots"].append(when_local(datetime.fromisoformat(raw), tz_name, org_tz)["local"])
    return values


def recipient_context(
    org: Any, candidate: Any, entry: Any, job: Any = None, *, words: bool = True
) -> dict[str, Any]:
    """What goes into ``Message.context`` for one recipient."""
    return {
        "candidate": candidate_data(candidate),
        "job": job_data(job),
        "interview": interview_context(entry, candidate.timezone, org.timezone, words=words),
        "recipient": {"timezone": candidate.timezone or org.timezone, "locale": candidate.locale},
    }


def preview_context(
    org: Any, context: dict[str, Any], candidate: Any = None, entry: Any = None
) -> dict[str, Any]:
    """The context sending will use (``compose.build_context``), for previews and checks."""
    from webapp.services.templates.compose import build_context

    return build_context(
        org,
        to_email=candidate.email if candidate is not None else "preview@example.com",
        to_name=candidate.full_name if candidate is not None else "",
        entry=entry,
        extra=context,
    )
