"""Reminders at T-24 h and T-2 h: created, moved on reschedule, canceled, skipped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.support import factories
from webapp.extensions import db
from webapp.models import Campaign, Message, Preference, ShortlistEntry, utcnow
from webapp.services.interviews import reminders


def entry_for(org, **candidate_fields):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", **candidate_fields
    )
    shortlist = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None)
    factories.make_sent_invitation(org, shortlist.entries[0])
    db.session.commit()
    return shortlist.entries[0]


def reminder_rows(entry):
    return db.session.execute(
        select(Message.kind, Message.status, Message.send_after)
        .where(Message.shortlist_entry_id == entry.id, Message.kind.like("reminder%"))
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
        select(Message.context).where(
            Message.shortlist_entry_id == entry.id, Message.kind == "reminder_24h"
        )
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


def uninvited_entry(org):
    candidate = factories.make_candidate(org, "lin@example.com", first_name="Lin")
    shortlist = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None)
    db.session.commit()
    return shortlist.entries[0]


def test_a_candidate_never_invited_gets_no_reminder_until_the_invitation_is_sent(logged_in, org):
    from jobs.reminders import schedule_due

    entry = uninvited_entry(org)
    soon = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")  # org zone is UTC
    edit(logged_in, entry, interview_at=soon)
    assert reminder_rows(entry) == []
    assert schedule_due() == 0
    factories.make_sent_invitation(org, entry, status="scheduled")  # not sent yet
    db.session.commit()
    assert schedule_due() == 0 and reminder_rows(entry) == []
    db.session.execute(
        update(Message).where(Message.shortlist_entry_id == entry.id).values(status="sent")
    )
    db.session.commit()
    assert schedule_due() == 2  # picked up within a minute of the invitation being sent
    assert [k for k, _, _ in reminder_rows(entry)] == ["reminder_24h", "reminder_2h"]


def test_canceling_the_invitation_campaign_cancels_reminders_it_never_earned(app, org):
    from webapp.services.campaigns import run as campaign_run

    reached, missed = entry_for(org), uninvited_entry(org)
    campaign = Campaign(org_id=org.id, name="Round 1", status="running", category="invitations")
    db.session.add(campaign)
    db.session.flush()
    factories.make_sent_invitation(org, missed, status="scheduled", campaign_id=campaign.id)
    at = utcnow() + timedelta(days=3)
    for entry in (reached, missed):
        entry.interview_at = at
        for kind, hours in (("reminder_24h", 24), ("reminder_2h", 2)):  # rows from before
            reminders._create(org, entry, entry.candidate, kind, at - timedelta(hours=hours), {})
    db.session.commit()
    campaign_run.cancel(campaign)
    db.session.commit()
    assert {s for _, s, _ in reminder_rows(missed)} == {"canceled"}
    assert {s for _, s, _ in reminder_rows(reached)} == {"scheduled"}


def test_a_reminder_for_an_uninvited_or_declined_candidate_is_stopped_at_send_time(
    smtp_server, app, org
):
    from jobs import sending

    uninvited, declined = uninvited_entry(org), entry_for(org)
    queued = []
    for entry in (uninvited, declined):
        entry.interview_at = utcnow() + timedelta(hours=1)
        queued.append(reminders._create(org, entry, entry.candidate, "reminder_2h", utcnow(), {}))
    db.session.commit()
    declined.response_status = "declined"  # after the reminder was queued
    db.session.commit()
    sending.send_batch([str(m.id) for m in queued])
    db.session.expire_all()
    rows = [db.session.get(Message, m.id) for m in queued]
    assert [(m.status, m.last_error) for m in rows] == [
        ("suppressed", "no invitation was sent for this interview"),
        ("suppressed", "candidate declined"),
    ]
    assert smtp_server.received == []
