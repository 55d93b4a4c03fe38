"""The interview's life told to the candidate: answers confirmed (with the calendar entry),
the page after each answer, moves and cancellations announced once (same UID, SEQUENCE + 1,
METHOD:REQUEST / CANCEL), and dead links answered with the organization's own page."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import func, select, update

from jobs import sending
from tests.support import factories
from webapp.extensions import db
from webapp.models import AuditLog, Message, ShortlistEntry, utcnow
from webapp.services.interviews import links as interview_links
from webapp.services.links import click_url, preferences_url
from webapp.services.tokens import make_token


def path_of(url: str) -> str:
    return url.split("herald.test", 1)[1]


def invited_entry(org, **fields):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", timezone="Europe/Paris"
    )
    entry = factories.make_shortlist(org, candidates=[candidate]).entries[0]
    entry.response_status = "invited"
    for name, value in fields.items():
        setattr(entry, name, value)
    factories.make_sent_invitation(org, entry)
    db.session.commit()
    return entry


def lifecycle_messages(entry, *kinds):
    db.session.expire_all()
    statement = select(Message).where(Message.shortlist_entry_id == entry.id)
    if kinds:
        statement = statement.where(Message.kind.in_(kinds))
    return list(db.session.scalars(statement.order_by(Message.created_at)))


def send_now(*messages) -> None:
    ids = [m.id for m in messages]
    db.session.execute(
        update(Message).where(Message.id.in_(ids)).values(status="queued", send_after=utcnow())
    )
    db.session.commit()
    sending.send_batch([str(i) for i in ids])


def received(smtp_server, index=-1):
    return email.message_from_bytes(smtp_server.received[index].data, policy=email.policy.default)


def calendar_of(mail) -> Calendar:
    (part,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def edit(client, entry, **data):
    form = {"duration_minutes": "45", "location": "", "video_url": "", "offered_slots": "", **data}
    return client.post(f"/audience/entries/{entry.id}", data=form)


def local_input(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")  # the org's zone is UTC


# --- answers -------------------------------------------------------------------------------


def test_accepting_sends_one_confirmation_with_the_calendar_entry(smtp_server, client, org):
    entry = invited_entry(org)
    url = path_of(interview_links.invite_url(entry))
    assert client.post(url, data={"action": "accept"}).status_code == 200
    assert client.post(url, data={"action": "accept"}).status_code == 200  # a second tap
    (confirmation,) = lifecycle_messages(entry, "confirmation", "acknowledgement")
    assert confirmation.kind == "confirmation" and confirmation.is_transactional
    send_now(confirmation)
    mail = received(smtp_server)
    assert mail["To"].addresses[0].addr_spec == "ada@example.com"
    assert mail["Subject"].startswith("Confirmed: your Backend Engineer interview")
    calendar = calendar_of(mail)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"interview-{entry.id}@example.com"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == entry.interview_at


def test_reschedule_request_and_decline_are_acknowledged_and_replace_each_other(client, org):
    entry = invited_entry(org)
    url = path_of(interview_links.invite_url(entry))
    client.post(url, data={"action": "reschedule", "note": "Mornings suit me"})
    client.post(url, data={"action": "decline"})
    rows = lifecycle_messages(entry, "confirmation", "acknowledgement")
    assert [(m.kind, m.status) for m in rows] == [
        ("acknowledgement", "canceled"),  # not sent yet when the answer changed
        ("acknowledgement", "queued"),
    ]
    db.session.expire_all()
    assert db.session.get(ShortlistEntry, entry.id).response_status == "declined"


def test_picking_another_slot_moves_the_calendar_entry(smtp_server, client, org):
    slots = [(utcnow() + timedelta(days=d)).replace(second=0, microsecond=0) for d in (4, 5)]
    entry = invited_entry(org, offered_slots=[s.isoformat() for s in slots])
    url = path_of(interview_links.invite_url(entry))
    client.post(url, data={"action": "slot", "slot": slots[1].isoformat()})
    (confirmation,) = lifecycle_messages(entry, "confirmation")
    send_now(confirmation)
    (event,) = calendar_of(received(smtp_server)).walk("VEVENT")
    assert event.decoded("DTSTART") == slots[1] and int(event["SEQUENCE"]) == 1


def test_the_page_after_each_answer_shows_it_and_only_what_still_makes_sense(client, org):
    slots = [(utcnow() + timedelta(days=d)).replace(second=0, microsecond=0) for d in (4, 5)]
    entry = invited_entry(org, interview_at=None, offered_slots=[s.isoformat() for s in slots])
    url = path_of(interview_links.invite_url(entry))
    first = client.get(url).get_data(as_text=True)
    assert "Change my answer" not in first and 'value="decline"' in first
    assert re.search(rf'value="{re.escape(slots[0].isoformat())}" checked', first)

    page = client.post(url, data={"action": "slot", "slot": slots[1].isoformat()}).get_data(
        as_text=True
    )
    assert "Your answer: accepted." in page and "Change my answer" in page
    assert re.search(rf'value="{re.escape(slots[1].isoformat())}" checked', page)
    assert not re.search(rf'value="{re.escape(slots[0].isoformat())}" checked', page)
    assert 'value="accept"' not in page and 'value="decline"' in page
    assert client.get(url).get_data(as_text=True).count(" checked") == 1  # the same on reload

    page = client.post(url, data={"action": "decline"}).get_data(as_text=True)
    assert "Your answer: declined." in page
    assert 'value="decline"' not in page and 'value="accept"' in page

    page = client.post(url, data={"action": "reschedule", "note": "Next week?"}).get_data(
        as_text=True
    )
    assert "you asked for another time" in page and "Next week?" in page
    assert 'value="reschedule"' not in page and 'value="decline"' in page


# --- dead links ----------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Message, AuditLog, ShortlistEntry)
    }


def test_every_dead_interview_link_gets_the_same_page_in_the_orgs_brand(client, org, other_org):
    entry = invited_entry(org)
    theirs = factories.make_shortlist(
        other_org, candidates=[factories.make_candidate(other_org, "z@example.com")]
    ).entries[0]
    db.session.commit()
    good = path_of(interview_links.invite_url(entry))
    revoked = good
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    interview_links.revoke(entry)
    db.session.commit()
    dead = [
        revoked,
        tampered,
        "/i/" + make_token("interview", [str(org.id), str(theirs.id), 0]),  # other org's entry
        "/i/" + make_token("interview", [str(org.id), str(uuid.uuid4()), 0]),  # unknown entry
        "/i/" + make_token("click", [str(org.id), str(entry.id), 0]),  # another purpose
    ]
    before = table_counts()
    bodies = set()
    for url in dead:
        for response in (client.get(url), client.post(url, data={"action": "accept"})):
            assert response.status_code == 404, url
            assert response.headers["Cache-Control"] == "no-store"
            bodies.add(response.get_data(as_text=True))
    assert len(bodies) == 1
    (body,) = bodies
    assert "This link is no longer valid" in body and f"contact {org.name}" in body
    assert "jobs@example.com" in body and "Back to the dashboard" not in body
    assert "ada@example.com" not in body and "Backend Engineer" not in body
    assert table_counts() == before
    assert db.session.get(ShortlistEntry, entry.id).response_status == "invited"
    nonsense = client.get("/i/not-a-token")
    assert nonsense.status_code == 404 and "This link is no longer valid" in nonsense.text
    assert "Back to the dashboard" not in nonsense.text


def test_dead_click_and_preference_links_get_the_orgs_page_too(client, org):
    message = factories.make_sent_invitation(org, invited_entry(org))
    db.session.commit()
    for url in (
        path_of(click_url(org.id, message.id, 7)),  # not a link of that message
        path_of(preferences_url(org.id, "ada@example.com"))[:-4] + "zzzz",
        "/t/c/garbage",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "This link is no longer valid" in response.text
        assert "Location" not in response.headers
    assert f"contact {org.name}" in client.get(path_of(click_url(org.id, message.id, 7))).text


# --- changes announced ---------------------------------------------------------------------


def test_rapid_edits_coalesce_into_one_announcement_that_follows_the_last(logged_in, org):
    entry = invited_entry(org)
    first = entry.interview_at + timedelta(days=1)
    edit(logged_in, entry, interview_at=local_input(first), notify_candidate="y")
    second = first + timedelta(hours=2)
    edit(logged_in, entry, interview_at=local_input(second), notify_candidate="y")
    (announcement,) = lifecycle_messages(entry, "reschedule", "cancellation")
    assert announcement.kind == "reschedule" and announcement.status == "scheduled"
    assert announcement.send_after > utcnow()  # waits for more edits
    edit(logged_in, entry, interview_at=local_input(first), is_canceled="y", notify_candidate="y")
    (announcement,) = lifecycle_messages(entry, "reschedule", "cancellation")
    assert announcement.kind == "cancellation"
    assert db.session.get(ShortlistEntry, entry.id).ics_sequence == 1


def test_a_move_sends_the_reschedule_with_sequence_1_and_a_cancel_method_cancel(
    smtp_server, logged_in, org
):
    entry = invited_entry(org)
    moved = (entry.interview_at + timedelta(days=1)).replace(second=0)
    response = edit(logged_in, entry, interview_at=local_input(moved), notify_candidate="y")
    assert "emailed the new time" in logged_in.get(response.location).text
    (reschedule,) = lifecycle_messages(entry, "reschedule")
    send_now(reschedule)
    mail = received(smtp_server)
    assert mail["Subject"] == "New time for your Backend Engineer interview"
    calendar = calendar_of(mail)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == f"interview-{entry.id}@example.com"
    assert event.decoded("DTSTART") == moved

    edit(logged_in, entry, interview_at=local_input(moved), is_canceled="y", notify_candidate="y")
    (cancellation,) = lifecycle_messages(entry, "cancellation")
    send_now(cancellation)
    calendar = calendar_of(received(smtp_server))
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"interview-{entry.id}@example.com"


def test_no_announcement_unticked_or_for_a_candidate_never_invited(logged_in, org):
    entry = invited_entry(org)
    edit(logged_in, entry, interview_at=local_input(entry.interview_at + timedelta(days=1)))
    assert lifecycle_messages(entry, "reschedule", "cancellation") == []
    stranger = factories.make_shortlist(
        org, candidates=[factories.make_candidate(org, "lin@example.com")]
    ).entries[0]
    db.session.commit()
    at = stranger.interview_at + timedelta(days=1)
    edit(logged_in, stranger, interview_at=local_input(at), notify_candidate="y")
    assert lifecycle_messages(stranger) == []


def test_the_box_is_ticked_by_default_and_the_organization_can_change_that(logged_in, org):
    entry = invited_entry(org)
    box = re.compile(r'<input[^>]*name="notify_candidate"[^>]*>')
    assert "checked" in box.search(logged_in.get(f"/audience/entries/{entry.id}").text).group(0)
    form = logged_in.get("/settings/").text
    assert "Notify the candidate when an interview moves or is canceled" in form
    response = logged_in.post(
        "/settings/",
        data={"name": org.name, "timezone": "UTC", "reminder_offsets": "24, 2",
              "postal_address": org.postal_address, "sender_email": org.sender_email},
    )  # fmt: skip
    assert response.status_code == 302
    assert "checked" not in box.search(logged_in.get(f"/audience/entries/{entry.id}").text).group(0)


def test_api_announces_by_default_and_can_be_told_not_to(app, org):
    from tests.test_api_helpers import Api, make_key

    api = Api(app.test_client(), make_key(org))
    entry = invited_entry(org)
    url = f"/shortlists/{entry.shortlist_id}/entries/{entry.candidate_id}"
    later = (entry.interview_at + timedelta(days=2)).isoformat()
    assert api.put(url, json={"interview_at": later, "notify_candidate": False}).status_code == 200
    assert lifecycle_messages(entry, "reschedule") == []
    sooner = (entry.interview_at + timedelta(days=1)).isoformat()
    assert api.put(url, json={"interview_at": sooner}).status_code == 200
    assert [m.kind for m in lifecycle_messages(entry, "reschedule")] == ["reschedule"]


def test_after_accepting_a_set_time_no_offered_slot_is_preselected(client, org):
    slots = [(utcnow() + timedelta(days=d)).replace(second=0, microsecond=0) for d in (4, 5)]
    entry = invited_entry(org, offered_slots=[s.isoformat() for s in slots])
    url = path_of(interview_links.invite_url(entry))
    assert " checked" in client.get(url).text  # before answering, the first is suggested
    page = client.post(url, data={"action": "accept"}).text
    assert "Your answer: accepted." in page and " checked" not in page  # a tap moves nothing
    assert client.post(url, data={"action": "slot"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(ShortlistEntry, entry.id).interview_at == entry.interview_at
