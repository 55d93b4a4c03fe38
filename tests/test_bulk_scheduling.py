"""Interview times for several shortlist entries at once, and the warning when a time falls
outside 07:00-21:00 in the candidate's own zone (entry form, bulk scheduling, wizard review)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Campaign, Message, ShortlistEntry, utcnow
from webapp.services.campaigns.review import review


def shortlist_of(org, *people):
    candidates = [
        factories.make_candidate(org, f"{last.lower()}@example.com", first_name=first,
                                 last_name=last, timezone=tz)
        for first, last, tz in people
    ]  # fmt: skip
    shortlist = factories.make_shortlist(org, candidates=candidates, interview_in_hours=None)
    db.session.commit()
    by_candidate = {e.candidate_id: e for e in shortlist.entries}
    return shortlist, [by_candidate[c.id] for c in candidates]


def fresh(entry) -> ShortlistEntry:
    db.session.expire_all()
    return db.session.get(ShortlistEntry, entry.id)


def day(days: int = 10) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)


def test_times_one_after_another_in_list_order_with_reminders(logged_in, org):
    shortlist, (ada, bo, cy) = shortlist_of(
        org, ("Ada", "Adams", "Europe/Paris"), ("Bo", "Brown", "UTC"), ("Cy", "Clark", "UTC")
    )
    factories.make_sent_invitation(org, bo)  # only Bo was invited: only Bo gets reminders
    db.session.commit()
    start = day()
    response = logged_in.post(
        f"/audience/shortlists/{shortlist.id}/schedule",
        data={"entry_id": [str(cy.id), str(ada.id), str(bo.id)], "mode": "times",
              "start": start.strftime("%Y-%m-%dT%H:%M"), "length": "30", "gap": "10"},
    )  # fmt: skip
    assert response.status_code == 302
    page = logged_in.get(response.location).text
    assert "3 candidate(s): times set" in page and "The interview time" not in page
    times = [fresh(e).interview_at for e in (cy, ada, bo)]
    assert times == [start, start + timedelta(minutes=40), start + timedelta(minutes=80)]
    assert {fresh(e).duration_minutes for e in (ada, bo, cy)} == {30}
    reminders = db.session.scalars(
        select(Message.shortlist_entry_id).where(Message.kind.like("reminder%"))
    ).all()
    assert reminders == [bo.id, bo.id]


def test_a_time_at_night_for_the_candidate_is_flagged_everywhere(logged_in, org):
    shortlist, (ada, lee) = shortlist_of(
        org, ("Ada", "Adams", "Europe/Paris"), ("Lee", "Lopez", "America/Los_Angeles")
    )
    start = day()  # 09:00 UTC: 10:00 in Paris, 01:00 or 02:00 in Los Angeles
    response = logged_in.post(
        f"/audience/shortlists/{shortlist.id}/schedule",
        data={"entry_id": [str(ada.id), str(lee.id)], "mode": "times",
              "start": start.strftime("%Y-%m-%dT%H:%M"), "length": "45", "gap": "0"},
    )  # fmt: skip
    page = logged_in.get(response.location).text
    assert "The interview time falls outside 07:00-21:00" in page
    assert "Lee Lopez (0" in page and "America/Los_Angeles" in page and "Ada Adams (" not in page
    form = logged_in.get(f"/audience/entries/{lee.id}").text
    assert "falls outside 07:00-21:00" in form and "Lee Lopez" in form
    assert "falls outside" not in logged_in.get(f"/audience/entries/{ada.id}").text

    campaign = Campaign(
        org_id=org.id,
        name="Round 1",
        shortlist_id=shortlist.id,
        candidate_ids=[str(ada.candidate_id), str(lee.candidate_id)],
    )
    db.session.add(campaign)
    db.session.flush()
    assert any("Lee Lopez" in w and "07:00" in w for w in review(org, campaign).warnings)


def test_offering_the_same_times_to_all_and_mistakes_explained(logged_in, org):
    shortlist, (ada, bo) = shortlist_of(
        org, ("Ada", "Adams", "Europe/Paris"), ("Bo", "Brown", "UTC")
    )
    url = f"/audience/shortlists/{shortlist.id}/schedule"
    slots = [day(), day() + timedelta(hours=5)]
    text = "\n".join(s.strftime("%Y-%m-%d %H:%M") for s in slots)
    response = logged_in.post(
        url, data={"entry_id": [str(ada.id), str(bo.id)], "mode": "slots", "slots": text}
    )
    assert "2 candidate(s): times offered" in logged_in.get(response.location).text
    for entry in (ada, bo):
        saved = fresh(entry)
        assert saved.offered_slots == [s.isoformat() for s in slots]
        assert saved.interview_at is None
    nothing = logged_in.post(url, data={"mode": "slots", "slots": text})
    assert "Tick the candidates to schedule first" in logged_in.get(nothing.location).text
    bad = logged_in.post(url, data={"entry_id": [str(ada.id)], "mode": "times", "start": "soon"})
    assert "Give the first interview" in logged_in.get(bad.location).text
    assert fresh(ada).interview_at is None


def test_bulk_moves_are_announced_to_invited_candidates_when_asked(logged_in, org):
    shortlist, (ada,) = shortlist_of(org, ("Ada", "Adams", "UTC"))
    ada.interview_at = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    factories.make_sent_invitation(org, ada)
    db.session.commit()
    url = f"/audience/shortlists/{shortlist.id}/schedule"
    data = {"entry_id": [str(ada.id)], "mode": "times", "length": "45", "gap": "0"}
    logged_in.post(url, data={**data, "start": "2030-01-08T10:00"})  # box unticked
    assert db.session.scalars(select(Message).where(Message.kind == "reschedule")).all() == []
    logged_in.post(url, data={**data, "start": "2030-01-09T10:00", "notify_candidate": "y"})
    (announcement,) = db.session.scalars(select(Message).where(Message.kind == "reschedule"))
    assert announcement.to_email == "adams@example.com"
