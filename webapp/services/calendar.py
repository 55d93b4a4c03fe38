"""Interview invitations as iCalendar (.ics) attachments (RFC 5545 / iTIP RFC 5546).

One stable UID per shortlist entry, so a reschedule (METHOD:REQUEST with a higher SEQUENCE)
moves the event in the candidate's calendar and a cancellation (METHOD:CANCEL) removes it.
SEQUENCE is ``ShortlistEntry.ics_sequence``: 0 for the invitation, one more for each announced
move or cancellation (``webapp.services.interview_updates``). The .ics is built when the email
is sent, from the entry as it is then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from webapp.services.context_data import candidate_data, job_data


@dataclass(frozen=True)
class InterviewEvent:
    uid: str
    start: datetime
    duration_minutes: int
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    organizer_email: str = ""
    organizer_name: str = ""
    attendee_email: str = ""
    attendee_name: str = ""
    sequence: int = 0


def interview_ics(event: InterviewEvent, *, method: str = "REQUEST") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Herald//Interview invitations//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(_vevent(event, cancel=method == "CANCEL"))
    return calendar.to_ical()


def _vevent(event: InterviewEvent, *, cancel: bool) -> Event:
    start = event.start if event.start.tzinfo else event.start.replace(tzinfo=UTC)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", datetime.now(UTC))
    vevent.add("dtstart", start.astimezone(UTC))
    vevent.add("dtend", start.astimezone(UTC) + timedelta(minutes=event.duration_minutes or 45))
    vevent.add("summary", event.summary)
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if cancel else "CONFIRMED")
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    if event.url:
        vevent.add("url", event.url)
    if event.organizer_email:
        organizer = vCalAddress(f"mailto:{event.organizer_email}")
        organizer.params["cn"] = vText(event.organizer_name or event.organizer_email)
        vevent["organizer"] = organizer
    if event.attendee_email:
        attendee = vCalAddress(f"mailto:{event.attendee_email}")
        attendee.params["cn"] = vText(event.attendee_name or event.attendee_email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("FALSE")
        vevent.add("attendee", attendee, encode=0)
    return vevent


# --- interview data for emails -------------------------------------------------------------

ICS_METHODS = {
    "invitation": "REQUEST",
    "reschedule": "REQUEST",
    "confirmation": "REQUEST",
    "cancellation": "CANCEL",
}


def interview_context(org: Any, entry: Any) -> dict[str, Any]:
    """Candidate, job and interview of a shortlist entry as plain data for templates."""
    from webapp.services import links

    candidate, job = entry.candidate, entry.shortlist.job
    at = _utc(entry.interview_at)
    return {
        "candidate": candidate_data(candidate),
        "job": job_data(job),
        "interview": {
            "at": at.isoformat() if at else "",
            "end_at": (at + timedelta(minutes=entry.duration_minutes)).isoformat() if at else "",
            "duration_minutes": entry.duration_minutes,
            "location": entry.location,
            "video_url": entry.video_url,
            "slots": list(entry.offered_slots or []),
            "status": entry.response_status,
            "is_canceled": entry.is_canceled,
            "note": entry.response_note if entry.is_canceled else "",
        },
        "invite_url": links.interview_url(org.id, entry.id, entry.invite_nonce),
    }


def interview_attachment(message: Any, org: Any, entry: Any) -> tuple[str, str, bytes] | None:
    """(filename, content type, data) of the .ics for invitation/reschedule/cancellation."""
    method = ICS_METHODS.get(message.kind)
    if entry is None or method is None or entry.interview_at is None:
        return None
    candidate, job = entry.candidate, entry.shortlist.job
    event = InterviewEvent(
        uid=f"interview-{entry.id}@{org.sending_domain or 'herald'}",
        start=_utc(entry.interview_at),
        duration_minutes=entry.duration_minutes,
        summary=f"Interview: {job.title} ({org.name})",
        location=entry.location or entry.video_url,
        description=f"Interview for {job.title} at {org.name}." + (
            f"\nVideo call: {entry.video_url}" if entry.video_url else ""),
        url=entry.video_url,
        organizer_email=org.sender_email,
        organizer_name=org.sender_name or org.name,
        attendee_email=candidate.email,
        attendee_name=candidate.full_name,
        sequence=entry.ics_sequence or 0,
    )  # fmt: skip
    content_type = f'text/calendar; charset="utf-8"; method={method}'
    return "invite.ics", content_type, interview_ics(event, method=method)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
