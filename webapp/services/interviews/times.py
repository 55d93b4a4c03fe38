"""Interview times for several shortlist entries at once, and the check that a time suits the
candidate: a warning (never a refusal) when it falls outside 07:00-21:00 in their own zone.

``schedule_many`` gives the entries, in the order given, one time each (a start, a length and a
gap between interviews) or offers them all the same times to pick from. Each entry then follows
the same path as a single edit: reminders, automations (``interview.scheduled``) and, when
asked, the announcement of a move to a candidate who was already invited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from webapp.models import Candidate, Organization, ShortlistEntry
from webapp.services.audience import shortlists
from webapp.services.interviews import reminders
from webapp.services.interviews import updates as interview_updates
from webapp.services.notify import triggers
from webapp.services.scheduling import zone

EARLIEST, LATEST = time(7, 0), time(21, 0)
MAX_ENTRIES = 500


@dataclass(frozen=True)
class OddHour:
    name: str
    local: str  # "05:30 Asia/Tokyo"


def odd_hour(at: datetime | None, tz_name: str) -> str | None:
    """``"05:30 Asia/Tokyo"`` when ``at`` is outside 07:00-21:00 in that zone, else None."""
    if at is None:
        return None
    local = at.astimezone(zone(tz_name))
    if EARLIEST <= local.time().replace(second=0, microsecond=0) <= LATEST:
        return None
    return f"{local:%H:%M} {tz_name or 'UTC'}"


def odd_hours(pairs: list[tuple[Candidate, datetime | None]]) -> list[OddHour]:
    found = []
    for candidate, at in pairs:
        local = odd_hour(at, candidate.timezone)
        if local:
            found.append(OddHour(candidate.full_name or candidate.email, local))
    return found


def warning_text(found: list[OddHour]) -> str | None:
    if not found:
        return None
    shown = ", ".join(f"{o.name} ({o.local})" for o in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    count = "time falls" if len(found) == 1 else f"{len(found)} times fall"
    return (
        f"The interview {count} outside 07:00-21:00 in the candidate's own time zone: "
        f"{shown}{more}. Check that this is intended."
    )


def sequential_times(start: datetime, count: int, length: int, gap: int) -> list[datetime]:
    step = timedelta(minutes=length + gap)
    return [start + step * index for index in range(count)]


def schedule_many(
    org: Organization,
    entries: list[ShortlistEntry],
    *,
    start: datetime | None = None,
    length: int = 45,
    gap: int = 0,
    slots: list[str] | None = None,
    notify: bool = True,
) -> list[tuple[ShortlistEntry, str]]:
    """Set times one after another from ``start`` (or offer ``slots`` to all); flushes only.
    Returns each entry with its change (``shortlists.update_entry``)."""
    if len(entries) > MAX_ENTRIES:
        raise ValueError(f"Schedule at most {MAX_ENTRIES} candidates at once.")
    times = sequential_times(start, len(entries), length, gap) if start else [None] * len(entries)
    done = []
    for entry, at in zip(entries, times, strict=True):
        change = shortlists.update_entry(
            entry,
            interview_at=at if start else entry.interview_at,
            duration_minutes=length if start else entry.duration_minutes,
            location=entry.location,
            video_url=entry.video_url,
            offered_slots=list(slots) if slots is not None else list(entry.offered_slots or []),
            is_canceled=entry.is_canceled,
        )
        reminders.on_entry_change(org, entry, change)
        triggers.interview_event(org, entry, change)
        if notify:
            interview_updates.announce_change(org, entry, change)
        done.append((entry, change))
    return done
