"""Chromium walks an interview's whole life with real worker processes and a real SMTP server:
the recruiter sets the time and invites through the wizard, the candidate accepts on a phone,
the confirmation arrives with its calendar entry, the recruiter sees the answer and gets the
notice, moves the interview (the candidate gets SEQUENCE 1), cancels it (METHOD:CANCEL); a
shortlisted candidate who was never invited gets no reminder. Then the candidate pages after
each kind of answer, and the branded page of a dead link, at 390 px."""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import timedelta

from flask import current_app
from icalendar import Calendar
from sqlalchemy import select, update

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.test_campaign_fanout import make_template
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Message, ShortlistEntry, utcnow
from webapp.services.interviews import links as interview_links
from webapp.services.queues import DEFAULT, get_queue

PHONE = {"width": 390, "height": 844}


def mails_to(smtp_server, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(r.data, policy=email.policy.default)
        for r in smtp_server.received
        if address in r.rcpt_tos
    ]


def calendar_of(mail) -> Calendar:
    (part,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def dispatch_and_send(env) -> None:
    """What the scheduler's fast loop does every 2 s, then real workers until the queues drain."""
    get_queue(DEFAULT).enqueue("jobs.sending.dispatch_due", description="dispatch_due")
    run_burst(env)


def test_the_whole_story_from_invitation_to_cancellation(
    smtp_server,
    live_server,
    worker_env,  # noqa: F811
    page,
    _browser,
    user,
    org,
):
    ada = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", timezone="Europe/Paris"
    )
    bob = factories.make_candidate(org, "bob@example.com", first_name="Bob")
    job = factories.make_job(org, "Backend Engineer")
    shortlist = factories.make_shortlist(org, job, [ada, bob], interview_in_hours=None)
    ada_entry, bob_entry = sorted(shortlist.entries, key=lambda e: e.candidate_id != ada.id)
    bob_entry.interview_at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    make_template(org)
    db.session.commit()
    current_app.config["HERALD"].interview_update_delay_seconds = 1  # the web side's setting

    # The recruiter sets Ada's interview time and invites her (not Bob) through the wizard.
    browser_login(page, live_server, user.email, factories.PASSWORD)
    first_time = (utcnow() + timedelta(days=5)).replace(hour=9, minute=30, second=0, microsecond=0)
    page.goto(f"{live_server.url}/audience/entries/{ada_entry.id}")
    page.fill("#interview_at", first_time.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save interview").click()
    page.get_by_text("reminders follow the new time").wait_for()
    page.goto(f"{live_server.url}/campaigns/new")
    page.get_by_role("radio", name="Backend Engineer", exact=True).check()
    page.get_by_role("button", name="Next: candidates →").click()
    page.wait_for_url(re.compile(r".*/audience$"))
    page.locator(f"input[name=candidate_id][value='{bob.id}']").uncheck()
    page.get_by_role("button", name="Next: template →").click()
    page.wait_for_url(re.compile(r".*/template$"))
    page.get_by_role("button", name="Next: when →").click()
    page.wait_for_url(re.compile(r".*/schedule$"))
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Next: review →").click()
    page.wait_for_url(re.compile(r".*/review$"))
    assert page.locator("[data-count=will_send]").inner_text() == "1"
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}$"))
    run_burst(worker_env, DEFAULT)  # fan-out
    dispatch_and_send(worker_env)
    (invitation,) = mails_to(smtp_server, "ada@example.com")
    assert invitation["Subject"] == "Interview for Backend Engineer at Acme Talent"
    assert int(calendar_of(invitation).walk("VEVENT")[0]["SEQUENCE"]) == 0

    # The reminder safety net runs: Ada (invited) gets reminders, Bob (never invited) none.
    get_queue(DEFAULT).enqueue("jobs.reminders.schedule_due", description="schedule_due")
    run_burst(worker_env, DEFAULT)
    db.session.expire_all()
    reminder_owner = dict(
        db.session.execute(
            select(Message.id, Message.shortlist_entry_id).where(Message.kind.like("reminder%"))
        ).all()
    )
    assert sorted(reminder_owner.values()) == [ada_entry.id, ada_entry.id]

    # Ada accepts on her phone.
    phone = _browser.new_context(viewport=PHONE).new_page()
    invite_url = interview_links.invite_url(ada_entry)
    phone.goto(invite_url)
    phone.get_by_role("button", name="Accept the interview").wait_for()
    screenshot(phone, "story-1-invitation-390")
    phone.get_by_role("button", name="Accept the interview").click()
    phone.get_by_text("Your interview is confirmed").wait_for()
    assert phone.get_by_role("button", name="Accept the interview").count() == 0
    assert phone.get_by_text("Change my answer").is_visible()
    screenshot(phone, "story-2-accepted-390")
    run_burst(worker_env)  # the confirmation and the recruiter's notice
    confirmation = mails_to(smtp_server, "ada@example.com")[-1]
    assert confirmation["Subject"].startswith("Confirmed: your Backend Engineer interview")
    calendar = calendar_of(confirmation)
    (event,) = calendar.walk("VEVENT")
    uid = str(event["UID"])
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    (notice,) = mails_to(smtp_server, user.email)
    assert notice["Subject"] == "Ada Idate accepted: Backend Engineer interview"

    # The recruiter sees the answer, unread, in Responses.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Responses").click()
    page.get_by_text("1 unread").wait_for()
    row = page.locator("tr", has_text="Ada")
    assert "accepted" in row.inner_text() and "New" in row.inner_text()
    screenshot(page, "story-3-responses")
    page.set_viewport_size(PHONE)
    screenshot(page, "story-3-responses-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The recruiter moves the interview; "Notify the candidate" is ticked by default.
    moved = first_time + timedelta(days=1, hours=2)
    row.get_by_role("link", name="Ada Idate").click()
    assert page.get_by_label("Notify the candidate").is_checked()
    page.fill("#interview_at", moved.strftime("%Y-%m-%dT%H:%M"))
    screenshot(page, "story-5-entry-form")
    page.get_by_role("button", name="Save interview").click()
    page.get_by_text("will be emailed the new time").wait_for()
    time.sleep(1.2)  # the announcement waits for more edits
    dispatch_and_send(worker_env)
    reschedule = mails_to(smtp_server, "ada@example.com")[-1]
    assert reschedule["Subject"] == "New time for your Backend Engineer interview"
    calendar = calendar_of(reschedule)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == uid and event.decoded("DTSTART") == moved

    # The recruiter cancels.
    page.goto(f"{live_server.url}/audience/entries/{ada_entry.id}")
    page.get_by_label("Interview canceled").check()
    page.get_by_role("button", name="Save interview").click()
    page.get_by_text("will be emailed the cancellation").wait_for()
    time.sleep(1.2)
    dispatch_and_send(worker_env)
    cancellation = mails_to(smtp_server, "ada@example.com")[-1]
    assert cancellation["Subject"] == "Your Backend Engineer interview has been canceled"
    calendar = calendar_of(cancellation)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 2 and str(event["STATUS"]) == "CANCELLED"
    phone.goto(invite_url)
    phone.get_by_text("this interview was canceled").wait_for()
    screenshot(phone, "story-4-canceled-390")

    # Every reminder still standing is made due at once: nothing reaches Bob, ever.
    db.session.execute(
        update(Message)
        .where(Message.kind.like("reminder%"), Message.status == "scheduled")
        .values(send_after=utcnow())
    )
    db.session.commit()
    dispatch_and_send(worker_env)
    assert mails_to(smtp_server, "bob@example.com") == []
    db.session.expire_all()
    bob_rows = db.session.scalars(
        select(Message.kind).where(Message.shortlist_entry_id == bob_entry.id)
    ).all()
    assert bob_rows == []
    assert [m["Subject"] for m in mails_to(smtp_server, "ada@example.com")] == [
        "Interview for Backend Engineer at Acme Talent",
        confirmation["Subject"],
        "New time for your Backend Engineer interview",
        "Your Backend Engineer interview has been canceled",
    ]  # her reminders were canceled with the interview


def test_candidate_pages_after_each_answer_and_a_dead_link_on_a_phone(live_server, page, org):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", timezone="Europe/Paris"
    )
    entry = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None).entries[
        0
    ]
    slots = [
        (utcnow() + timedelta(days=d)).replace(hour=8, minute=0, second=0, microsecond=0)
        for d in (3, 4, 5)
    ]
    entry.offered_slots = [s.isoformat() for s in slots]
    entry.response_status = "invited"
    db.session.commit()
    page.set_viewport_size(PHONE)
    url = interview_links.invite_url(entry)
    page.goto(url)
    page.locator(f"input[value='{slots[1].isoformat()}']").check()
    page.get_by_role("button", name="Confirm this time").click()
    page.get_by_text("Your answer: accepted.").wait_for()
    assert page.locator(f"input[value='{slots[1].isoformat()}']").is_checked()
    assert page.get_by_role("button", name="Confirm this time").is_hidden()  # folded away
    screenshot(page, "answer-slot-picked-390")
    page.get_by_text("Change my answer").click()
    assert page.locator(f"input[value='{slots[1].isoformat()}']").is_checked()
    screenshot(page, "answer-slot-picked-change-open-390")
    page.fill("#note", "Could we meet the week after?")
    page.get_by_role("button", name="Ask for another time").click()
    page.get_by_text("you asked for another time").wait_for()
    screenshot(page, "answer-reschedule-requested-390")
    page.get_by_text("Change my answer").click()
    page.get_by_role("button", name="Decline").click()
    page.get_by_text("Your answer: declined.").wait_for()
    screenshot(page, "answer-declined-390")
    page.get_by_text("Change my answer").click()
    assert page.get_by_role("button", name="Decline").count() == 0
    db.session.expire_all()
    assert db.session.get(ShortlistEntry, entry.id).response_status == "declined"

    interview_links.revoke(entry)
    db.session.commit()
    response = page.goto(url)
    assert response.status == 404
    page.get_by_text("This link is no longer valid").wait_for()
    assert "contact Acme Talent" in page.content()
    screenshot(page, "invalid-link-390")


def test_recruiter_schedules_several_candidates_at_once(live_server, page, user, org):
    people = [
        factories.make_candidate(org, "ada@example.com", first_name="Ada", last_name="Adams"),
        factories.make_candidate(
            org, "lee@example.com", first_name="Lee", last_name="Lopez",
            timezone="America/Los_Angeles",
        ),
    ]  # fmt: skip
    shortlist = factories.make_shortlist(org, candidates=people, interview_in_hours=None)
    db.session.commit()
    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/settings/")
    assert page.get_by_label(
        "Notify the candidate when an interview moves or is canceled"
    ).is_checked()
    screenshot(page, "settings-organization")
    page.goto(f"{live_server.url}/audience/shortlists/{shortlist.id}")
    page.get_by_label("Select Ada Adams").check()
    page.get_by_label("Select Lee Lopez").check()
    page.get_by_text("Schedule the selected candidates").click()
    start = (utcnow() + timedelta(days=7)).replace(hour=9, minute=0)
    page.fill("#bulk-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#bulk-length", "30")
    page.fill("#bulk-gap", "15")
    screenshot(page, "bulk-schedule-form")
    page.get_by_role("button", name="Set times one after another").click()
    page.get_by_text("2 candidate(s): times set").wait_for()
    warning = page.locator(".flash-warning")
    assert "Lee Lopez" in warning.inner_text() and "Ada Adams" not in warning.inner_text()
    assert page.get_by_text("09:45").count() >= 1  # Lee's time, 45 minutes after Ada's
    screenshot(page, "bulk-schedule-done")
    page.set_viewport_size(PHONE)
    page.get_by_text("Schedule the selected candidates").click()
    screenshot(page, "bulk-schedule-390")
