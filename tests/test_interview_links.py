"""Secure interview links: expiry, tampering, revocation; the answer updates the entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Message, ShortlistEntry, WebhookDelivery, WebhookEndpoint, utcnow
from webapp.services.interviews import links as interview_links
from webapp.services.interviews import reminders


def make_entry(org, **fields):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", timezone="Asia/Tokyo"
    )
    shortlist = factories.make_shortlist(org, candidates=[candidate])
    entry = shortlist.entries[0]
    for name, value in fields.items():
        setattr(entry, name, value)
    db.session.commit()
    return entry


def path_of(url: str) -> str:
    return url.split("herald.test", 1)[1]


def test_candidate_page_shows_interview_in_their_zone_and_get_changes_nothing(client, org):
    entry = make_entry(org)
    url = path_of(interview_links.invite_url(entry))
    page = client.get(url).get_data(as_text=True)
    local = entry.interview_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    clock = local.strftime("%I:%M\u202f%p").lstrip("0")  # English: 12-hour clock (CLDR)
    assert "Backend Engineer" in page and clock in page and "Japan Standard Time" in page
    assert db.session.get(ShortlistEntry, entry.id).response_status == "pending"


def test_accept_updates_entry_emits_event_and_shows_to_recruiters(client, logged_in, org):
    db.session.add(
        WebhookEndpoint(
            org_id=org.id,
            url="https://hooks.example.com/x",
            secret_encrypted="x",
            event_types=["candidate.responded"],
        )
    )
    entry = make_entry(org)
    url = path_of(interview_links.invite_url(entry))
    response = client.post(url, data={"action": "accept", "note": "See you then"})
    assert response.status_code == 200 and "Your interview is confirmed" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    entry = db.session.get(ShortlistEntry, entry.id)
    assert entry.response_status == "accepted" and entry.response_note == "See you then"
    deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert [d.event_type for d in deliveries] == ["candidate.responded"]
    page = logged_in.get(f"/audience/shortlists/{entry.shortlist_id}").get_data(as_text=True)
    assert "accepted" in page and "See you then" in page


def test_picking_an_offered_slot_moves_the_interview_and_its_reminders(client, org):
    slot = (utcnow() + timedelta(days=5)).replace(microsecond=0, second=0)
    entry = make_entry(org, offered_slots=[slot.isoformat()])
    reminders.schedule_for_entry(org, entry)
    db.session.commit()
    url = path_of(interview_links.invite_url(entry))
    assert (
        client.post(url, data={"action": "slot", "slot": "2020-01-01T00:00:00+00:00"}).status_code
        == 422
    )
    assert client.post(url, data={"action": "slot", "slot": slot.isoformat()}).status_code == 200
    db.session.expire_all()
    entry = db.session.get(ShortlistEntry, entry.id)
    assert entry.interview_at == slot and entry.response_status == "accepted"
    due = sorted(
        db.session.scalars(
            select(Message.send_after).where(
                Message.shortlist_entry_id == entry.id, Message.status == "scheduled"
            )
        )
    )
    assert due == [slot - timedelta(hours=24), slot - timedelta(hours=2)]


def test_tampered_expired_and_revoked_tokens_get_the_same_404(client, org, app):
    entry = make_entry(org)
    good = path_of(interview_links.invite_url(entry))
    assert client.get(good).status_code == 200
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    assert client.get(tampered).status_code == 404
    assert client.get("/i/not-a-token").status_code == 404
    import pytest

    from webapp.services.tokens import InvalidToken

    with pytest.raises(InvalidToken):
        interview_links.verify(good.rsplit("/", 1)[1], max_age=-1)  # expired
    interview_links.revoke(entry)
    db.session.commit()
    assert client.get(good).status_code == 404
    assert client.post(good, data={"action": "accept"}).status_code == 404
    assert db.session.get(ShortlistEntry, entry.id).response_status == "pending"
    fresh = path_of(interview_links.invite_url(entry))
    assert client.get(fresh).status_code == 200


def test_token_of_another_entry_cannot_answer_for_this_one(client, org, other_org):
    mine = make_entry(org)
    theirs = factories.make_shortlist(
        other_org, candidates=[factories.make_candidate(other_org, "z@example.com")]
    ).entries[0]
    db.session.commit()
    token = interview_links.invite_url(mine).rsplit("/", 1)[1]
    assert interview_links.describe(token)["shortlist_entry_id"] == str(mine.id)
    assert theirs.id != mine.id
    from webapp.services.tokens import make_token

    forged = make_token("interview", [str(org.id), str(theirs.id), 0])  # org mismatch
    assert client.get(f"/i/{forged}").status_code == 404


def test_canceled_interview_page_says_so_and_takes_no_answer(client, org):
    entry = make_entry(org, is_canceled=True)
    url = path_of(interview_links.invite_url(entry))
    page = client.get(url).get_data(as_text=True)
    assert "this interview was canceled" in page and 'value="accept"' not in page
    assert client.post(url, data={"action": "accept"}).status_code == 422
    assert db.session.get(ShortlistEntry, entry.id).response_status == "pending"
