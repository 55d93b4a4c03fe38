"""Reminders at T-24 h and T-2 h: created, moved on reschedule, canceled, skipped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Message, Preference, ShortlistEntry, utcnow
from webapp.services import reminders


def entry_for(org, **candidate_fields):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", **candidate_fields
    )
    shortlist = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None)
    db.session.commit()
    return shortlist.entries[0]


def reminder_rows(entry):
    return db.session.execute(
        select(Message.kind, Message.status, Message.send_after)
        .where(Message.shortlist_entry_id == entry.id)
        .order_by(Message.send_after)
    ).all()


def edit(client, entry, **data):
    form = {"duration_minutes": "45", "location": "", "video_url": "", "offered_slots": "", **data}
    return client.post(f"/audience/entries/{entry.id}", data=form)


def test_setting_a_time_schedules_reminders_worded_in_candidate_zone(logged_in, org):
    entry = entry_for(org, timezone="America/New_York")
    response = edit(logged_in, entry, interview_at="2030-06-10T15:00")  # org zone is UTC
    assert response.status_code == 302
    rows = reminder_rows(entry)
    at = db.session.get(ShortlistEntry, entry.id).interview_at
    assert [(k, s) for k, s, _ in rows] == [
        ("reminder_24h", "scheduled"),
        ("reminder_2h", "scheduled"),
    ]
    assert [t for _, _, t in rows] == [at - timedelta(hours=24), at - timedelta(hours=2)]
    context = db.session.scalars(
        select(Message.context).where(Message.shortlist_entry_id == entry.id)
    ).first()
    assert context["interview"]["time"] == "11:00"  # 15:00 UTC in New York (summer time)
    assert context["interview"]["timezone"] == "America/New_York"


def test_reschedule_moves_reminders_and_cancel_cancels_them(logged_in, org):
    entry = entry_for(org)
    edit(logged_in, entry, interview_at="2030-06-10T15:00")
    edit(logged_in, entry, interview_at="2030-06-12T09:00")
    rows = reminder_rows(entry)
    pending = [t for _, s, t in rows if s == "scheduled"]
    moved = db.session.get(ShortlistEntry, entry.id).interview_at
    assert pending == [moved - timedelta(hours=24), moved - timedelta(hours=2)]
    assert sum(1 for _, s, _ in rows if s == "canceled") == 2
    edit(logged_in, entry, interview_at="2030-06-12T09:00", is_canceled="y")
    assert {s for _, s, _ in reminder_rows(entry)} == {"canceled"}


def test_org_offsets_and_past_reminders(app, org):
    org.reminder_offsets_hours = [48, 1]
    entry = entry_for(org)
    entry.interview_at = utcnow() + timedelta(hours=10)  # T-48h already passed
    created = reminders.schedule_for_entry(org, entry)
    assert [m.kind for m in created] == ["reminder_2h"]
    assert created[0].send_after == entry.interview_at - timedelta(hours=1)


def test_skipped_for_declined_or_opted_out_candidates(app, org):
    entry = entry_for(org)
    entry.interview_at = utcnow() + timedelta(days=3)
    entry.response_status = "declined"
    assert reminders.schedule_for_entry(org, entry) == []
    entry.response_status = "accepted"
    db.session.add(
        Preference(
            org_id=org.id,
            email="ada@example.com",
            opted_out_categories=["reminders"],
            digest_categories=[],
        )
    )
    db.session.flush()
    assert reminders.schedule_for_entry(org, entry) == []
    assert reminder_rows(entry) == []


def test_safety_net_job_schedules_missing_reminders_once(app, org):
    from jobs.reminders import schedule_due

    entry = entry_for(org)
    entry.interview_at = utcnow() + timedelta(days=2)
    db.session.commit()
    assert schedule_due() == 2
    assert schedule_due() == 0
    assert len(reminder_rows(entry)) == 2
