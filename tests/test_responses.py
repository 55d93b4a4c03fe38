"""Recruiters hear about answers: the Responses view (unread first, per job and campaign) and
the notice to the campaign's creator, as they chose (every answer, daily summary, off)."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from jobs import sending
from jobs.responses import send_daily_summaries
from tests.support import factories
from webapp.extensions import db
from webapp.models import Campaign, Membership, Message, ShortlistEntry, utcnow
from webapp.services.interviews import links as interview_links


def path_of(url: str) -> str:
    return url.split("herald.test", 1)[1]


def invited(org, creator, email_address, first_name, job_title="Backend Engineer"):
    candidate = factories.make_candidate(org, email_address, first_name=first_name)
    shortlist = factories.make_shortlist(
        org, job=factories.make_job(org, job_title), candidates=[candidate]
    )
    campaign = Campaign(
        org_id=org.id,
        name=f"{job_title} round 1",
        status="completed",
        category="invitations",
        shortlist_id=shortlist.id,
        created_by_id=creator.id if creator else None,
    )
    db.session.add(campaign)
    db.session.flush()
    entry = shortlist.entries[0]
    entry.response_status = "invited"
    factories.make_sent_invitation(org, entry, campaign_id=campaign.id)
    db.session.commit()
    return entry, campaign


def answer(client, entry, action, **data):
    response = client.post(
        path_of(interview_links.invite_url(entry)), data={"action": action, **data}
    )
    assert response.status_code == 200
    db.session.expire_all()


def notices(kind="response_notice"):
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.kind == kind)))


def choose(user, org, choice):
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == user.id, Membership.org_id == org.id)
        .values(response_notifications=choice)
    )
    db.session.commit()


def test_responses_view_lists_unread_first_per_job_and_campaign(client, logged_in, user, org):
    ada, ada_campaign = invited(org, user, "ada@example.com", "Ada")
    lin, _ = invited(org, user, "lin@example.com", "Lin", job_title="Designer")
    invited(org, user, "sam@example.com", "Sam")  # never answers
    answer(client, ada, "accept", note="See you then")
    answer(client, lin, "decline")
    page = logged_in.get("/responses/").text
    assert "2 unread" in page and "Sam" not in page
    assert page.index("Lin") < page.index("Ada")  # newest first among unread
    assert "See you then" in page and "asked" not in page
    only_ada = logged_in.get(f"/responses/?campaign={ada_campaign.id}").text
    assert "Ada" in only_ada and "Lin" not in only_ada
    designer = logged_in.get(f"/responses/?job={lin.shortlist.job_id}").text
    assert "Lin" in designer and "Ada" not in designer

    assert logged_in.post("/responses/read", data={"entry_id": str(lin.id)}).status_code == 302
    page = logged_in.get("/responses/").text
    assert "1 unread" in page and page.index("Ada") < page.index("Lin")  # unread first
    answer(client, lin, "reschedule", note="Could we do next week?")  # a new answer: unread
    assert "2 unread" in logged_in.get("/responses/").text
    logged_in.post("/responses/read", data={})
    assert "unread</strong>" not in logged_in.get("/responses/").text


def test_the_campaign_creator_is_emailed_every_answer(smtp_server, client, user, org):
    entry, _ = invited(org, user, "ada@example.com", "Ada")
    answer(client, entry, "accept", note="Looking forward")
    (notice,) = notices()
    assert notice.to_email == user.email and notice.is_transactional
    sending.send_batch([str(notice.id)])
    (mail,) = [
        email.message_from_bytes(r.data, policy=email.policy.default)
        for r in smtp_server.received
        if user.email in r.rcpt_tos
    ]
    assert mail["Subject"] == "Ada Idate accepted: Backend Engineer interview"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Looking forward" in body and "/responses/" in body


def test_off_sends_nothing_and_daily_sends_one_summary(client, user, org):
    other = factories.make_user(org=org, role="editor")
    ada, _ = invited(org, user, "ada@example.com", "Ada")
    lin, _ = invited(org, other, "lin@example.com", "Lin")
    choose(user, org, "daily")
    choose(other, org, "off")
    answer(client, ada, "accept")
    answer(client, lin, "accept")
    assert notices() == []
    assert send_daily_summaries() == 1
    (summary,) = notices("response_summary")
    assert summary.to_email == user.email and "1 new" in summary.raw_subject
    assert "Ada" in summary.raw_text and "Lin" not in summary.raw_text
    assert send_daily_summaries() == 0  # at most one a day
    db.session.execute(
        update(Message)
        .where(Message.id == summary.id)
        .values(created_at=utcnow() - timedelta(hours=24))
    )
    db.session.execute(update(ShortlistEntry).values(responded_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert send_daily_summaries() == 0  # nothing new since
    answer(client, ada, "decline")
    assert send_daily_summaries() == 1


def test_every_member_picks_their_own_choice_on_the_responses_page(client, org, login_as):
    viewer = factories.make_user(org=org, role="viewer")
    db.session.commit()
    login_as(viewer)
    page = client.get("/responses/").text
    assert "No answers yet" in page and 'value="every" selected' in page
    assert client.post("/responses/notifications", data={"choice": "daily"}).status_code == 302
    assert 'value="daily" selected' in client.get("/responses/").text
    client.post("/responses/notifications", data={"choice": "hourly"})
    membership = db.session.scalars(select(Membership).where(Membership.user_id == viewer.id)).one()
    db.session.refresh(membership)
    assert membership.response_notifications == "daily"
    assert db.session.scalars(select(ShortlistEntry)).all() == []


def test_the_jobs_recruiters_chosen_on_the_job_form_are_told_too(client, logged_in, user, org):
    recruiter = factories.make_user("rae@example.com", org=org, role="editor")
    entry, _ = invited(org, None, "ada@example.com", "Ada")  # a campaign nobody owns
    job_id = entry.shortlist.job_id
    form = logged_in.get(f"/audience/jobs/{job_id}/edit").text
    assert "rae@example.com" in form and "Told when a candidate answers" in form
    response = logged_in.post(
        f"/audience/jobs/{job_id}/edit",
        data={"title": "Backend Engineer", "is_open": "y", "recruiter_ids": [str(recruiter.id)]},
    )
    assert response.status_code == 302
    form = logged_in.get(f"/audience/jobs/{job_id}/edit").text
    (box,) = re.findall(rf'<input[^>]*value="{recruiter.id}"[^>]*>', form)
    assert "checked" in box
    stranger = logged_in.post(
        f"/audience/jobs/{job_id}/edit",
        data={"title": "Backend Engineer", "recruiter_ids": [str(uuid.uuid4())]},
    )
    assert stranger.status_code == 200 and "not a valid choice" in stranger.text
    answer(client, entry, "accept")
    assert [n.to_email for n in notices()] == ["rae@example.com"]
    choose(recruiter, org, "daily")
    answer(client, entry, "decline")
    assert notices() == [notices()[0]]  # no email at once for a daily chooser
    assert send_daily_summaries() == 1
    (summary,) = notices("response_summary")
    assert summary.to_email == "rae@example.com" and "Ada" in summary.raw_text
