"""Shortlists: add by search and checkboxes, remove, edit the interview and offered slots."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Message, ShortlistEntry


def test_add_candidates_by_search_and_checkboxes_then_remove(logged_in, org, other_org):
    ada = factories.make_candidate(org, "ada@example.com", first_name="Ada")
    bob = factories.make_candidate(org, "bob@example.com", first_name="Bob")
    foreign = factories.make_candidate(other_org, "eve@example.com", first_name="Eve")
    shortlist = factories.make_shortlist(org)
    db.session.commit()
    fragment = logged_in.get(
        f"/audience/shortlists/{shortlist.id}/search?q=ada", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "ada@example.com" in fragment and "bob@example.com" not in fragment
    assert "<html" not in fragment
    response = logged_in.post(
        f"/audience/shortlists/{shortlist.id}/add",
        data={"candidate_id": [str(ada.id), str(bob.id), str(foreign.id)]},
    )
    assert response.status_code == 302
    ids = set(
        db.session.scalars(
            select(ShortlistEntry.candidate_id).where(ShortlistEntry.shortlist_id == shortlist.id)
        )
    )
    assert ids == {ada.id, bob.id}  # the other organization's candidate is ignored
    page = logged_in.get(f"/audience/shortlists/{shortlist.id}").get_data(as_text=True)
    assert "ada@example.com" in page and "bob@example.com" in page
    again = logged_in.get(
        f"/audience/shortlists/{shortlist.id}/search?q=ada", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "On the list" in again
    entry = db.session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.candidate_id == bob.id)
    ).one()
    logged_in.post(
        f"/audience/shortlists/{shortlist.id}/remove", data={"entry_id": [str(entry.id)]}
    )
    count = db.session.scalar(
        select(func.count()).where(ShortlistEntry.shortlist_id == shortlist.id)
    )
    assert count == 1


def test_interview_time_and_slots_are_entered_in_org_zone_and_stored_utc(logged_in, org):
    org.timezone = "Europe/Paris"
    candidate = factories.make_candidate(org, "ada@example.com")
    shortlist = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None)
    factories.make_sent_invitation(org, shortlist.entries[0])  # reminders need an invitation
    db.session.commit()
    entry = shortlist.entries[0]
    response = logged_in.post(
        f"/audience/entries/{entry.id}",
        data={
            "interview_at": "2030-01-15T10:00",
            "duration_minutes": "30",
            "location": "Office 3",
            "video_url": "",
            "offered_slots": "2030-01-16 09:00\n2030-07-16 09:00",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    entry = db.session.get(ShortlistEntry, entry.id)
    assert entry.interview_at == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)  # winter: UTC+1
    assert entry.offered_slots == ["2030-01-16T08:00:00+00:00", "2030-07-16T07:00:00+00:00"]
    reminders = select(func.count()).where(
        Message.shortlist_entry_id == entry.id, Message.kind.like("reminder%")
    )
    assert db.session.scalar(reminders) == 2
    form = logged_in.get(f"/audience/entries/{entry.id}").get_data(as_text=True)
    assert 'value="2030-01-15T10:00"' in form and "2030-07-16 09:00" in form


def test_bad_slot_is_reported_next_to_the_field_and_input_kept(logged_in, org):
    candidate = factories.make_candidate(org, "ada@example.com")
    entry = factories.make_shortlist(org, candidates=[candidate]).entries[0]
    db.session.commit()
    response = logged_in.post(
        f"/audience/entries/{entry.id}",
        data={"interview_at": "", "duration_minutes": "45", "offered_slots": "next tuesday"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not a date and time: &#39;next tuesday&#39;." in page
    assert "next tuesday</textarea>" in page


def test_viewer_cannot_change_shortlists(client, org, login_as):
    viewer = factories.make_user("viewer@example.com", org=org, role="viewer")
    shortlist = factories.make_shortlist(org)
    db.session.commit()
    login_as(viewer, org=org)
    assert client.get(f"/audience/shortlists/{shortlist.id}").status_code == 200
    assert client.post(f"/audience/shortlists/{shortlist.id}/add", data={}).status_code == 403
