"""What the context offers templates: sample values (for previews and validation) and docs.

The sample is the shape of ``compose.build_context`` with realistic values, so validation
can render a template strictly and the variables panel can show what each name holds.
"""

from __future__ import annotations

import copy
from typing import Any

SAMPLE_CONTEXT: dict[str, Any] = {
    "org": {"name": "Acme Recruiting", "postal_address": "1 Example Street, 75001 Paris"},
    "sender_name": "Acme Talent Team",
    "recipient": {
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "timezone": "Europe/London",
        "locale": "en",
    },
    "candidate": {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "timezone": "Europe/London",
        "locale": "en",
        "attributes": {},
    },
    "job": {"title": "Backend Engineer", "location": "London", "department": "Engineering",
            "attributes": {}},
    "interview": {
        "at": "2026-12-01T10:00:00+00:00",
        "end_at": "2026-12-01T10:45:00+00:00",
        "duration_minutes": 45,
        "location": "Acme HQ, 2nd floor",
        "video_url": "https://meet.example.com/acme-ada",
        "slots": ["2026-12-01T10:00:00+00:00", "2026-12-02T14:00:00+00:00"],
        "status": "invited",
        "is_canceled": False,
        "note": "",
    },
    "invite_url": "https://herald.example.com/i/sample-token",
    "unsubscribe_url": "https://herald.example.com/u/sample-token",
    "preferences_url": "https://herald.example.com/p/sample-token",
    "feedback_url": "",
    "digest": {
        "date": "2026-12-01",
        "url": "https://herald.example.com/",
        "entries": [
            {"title": "Your interview is confirmed", "detail": "Tuesday at 10:00, Acme HQ",
             "url": "https://herald.example.com/i/sample-token"},
            {"title": "Your application was received", "detail": "Backend Engineer, London",
             "url": ""},
        ],
    },
    "subject": "",
    "preheader": "",
    "body": "",
    # an automation's event (POST /api/v1/events): its type and its data, as sent
    "event": {
        "type": "application.received",
        "candidate": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        "job": {"title": "Backend Engineer", "location": "London"},
        "interview": {"at": "2026-12-01T10:00:00+00:00"},
        "source": "careers site",
        "reference": "APP-1042",
        "url": "https://careers.example.com/applications/APP-1042",
    },
}  # fmt: skip

VARIABLES: list[tuple[str, str]] = [
    ("candidate.first_name", "Candidate's first name (filter: |first_name)"),
    ("candidate.last_name", "Candidate's last name"),
    ("candidate.full_name", "First and last name"),
    ("candidate.email", "Candidate's address"),
    ("candidate.attributes", "Extra columns from the import (a dict)"),
    ("job.title", "Job title"),
    ("job.location", "Job location"),
    ("job.department", "Department"),
    ("interview.at", "Interview time, ISO (filters: |date |time |datetime |timezone_name)"),
    ("interview.duration_minutes", "Length in minutes (filter: |duration)"),
    ("interview.location", "Where the interview is"),
    ("interview.video_url", "Video call link"),
    ("interview.slots", "Offered times (a list of ISO times)"),
    ("invite_url", "Signed link to accept or choose a time"),
    ("org.name", "Your organization's name"),
    ("org.postal_address", "Your postal address (Brand settings)"),
    ("sender_name", "Sender name (Brand settings)"),
    ("recipient.email", "The address the email goes to"),
    ("recipient.name", "The recipient's name"),
    ("recipient.timezone", "Time zone used by the date filters"),
    ("recipient.locale", "Language used by the date and money filters"),
    ("unsubscribe_url", "One-click unsubscribe link (the layout footer has it)"),
    ("preferences_url", "Email preference page"),
    ("digest.entries", "Digest lines: each has title, detail and url"),
    ("digest.date", "The digest's day, in the recipient's zone (filter: |date)"),
    ("event.type", "Automations: the event's type, e.g. application.received"),
    ("event.<field>", "Automations: any field of the event's data (event.reference…)"),
    ("event.candidate / .job / .interview", "Automations: also as candidate, job, interview"),
]

FILTER_DOCS: list[tuple[str, str]] = [
    ("|date / |time / |datetime", "A date or time in the recipient's zone and language"),
    ("|timezone_name", "The recipient's time zone, spelled out"),
    ("|first_name / |name", "Tidy capitalization of names"),
    ("|money('EUR')", "An amount with its currency, in the recipient's language"),
    ("|duration", "45 → 45 min, 90 → 1 h 30 min"),
]


def sample_context(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh copy of the sample, with ``overrides`` merged in (one level of dicts deep)."""
    context = copy.deepcopy(SAMPLE_CONTEXT)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(context.get(key), dict):
            context[key] = {**context[key], **value}
        else:
            context[key] = value
    return context


KNOWN_NAMES = frozenset(SAMPLE_CONTEXT) | {"range", "_", "gettext", "ngettext"}
