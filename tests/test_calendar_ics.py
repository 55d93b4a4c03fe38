"""The .ics attachment, written directly, reads back the same in a calendar parser
(icalendar), whatever the names, places and descriptions contain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from webapp.services.interviews.calendar import InterviewEvent, interview_ics

AWKWARD = [
    ("Interview: Backend Engineer (Acme)", "Room 4, floor 2; east wing", "plain"),
    ("Entretien : Développeuse · Zürich — ñ 日本語 " * 4, "Straße 1, 8000 Zürich", "long unicode"),
    ('Quote "this", back\\slash; semi', "Line one\nLine two\r\nLine three", "escapes"),
]


@pytest.mark.parametrize(("summary", "location", "_case"), AWKWARD)
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_every_field_reads_back_unchanged(summary, location, _case, method):
    start = datetime(2030, 5, 1, 9, 30, tzinfo=UTC)
    event = InterviewEvent(
        uid="interview-1234@example.com",
        start=start,
        duration_minutes=50,
        summary=summary,
        location=location,
        description=f"Interview at Acme.\nVideo call: https://meet.example.com/x?a=1&b=2\n{summary}",
        url="https://meet.example.com/x?a=1&b=2",
        organizer_email="jobs@example.com",
        organizer_name='Acme "Talent", Lyon',
        attendee_email="zoë@example.com",
        attendee_name=summary[:40],
        sequence=1764673200,
    )
    data = interview_ics(event, method=method)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == method
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event.uid
    assert vevent.decoded("DTSTART") == start
    assert vevent.decoded("DTEND") == start + timedelta(minutes=50)
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["LOCATION"]) == location.replace("\r\n", "\n")
    assert str(vevent["DESCRIPTION"]) == event.description
    assert str(vevent["URL"]) == event.url
    assert int(vevent["SEQUENCE"]) == event.sequence
    assert str(vevent["STATUS"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    assert str(vevent["ORGANIZER"]) == "mailto:jobs@example.com"
    assert vevent["ORGANIZER"].params["CN"] == "Acme Talent, Lyon"
    assert str(vevent["ATTENDEE"]) == "mailto:zoë@example.com"
    assert vevent["ATTENDEE"].params["CN"] == summary[:40].replace('"', "")
    assert vevent["ATTENDEE"].params["RSVP"] == "FALSE"
