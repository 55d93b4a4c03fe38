"""Telling recruiters that a candidate answered an interview invitation.

The people responsible are the creators of the campaigns that invited the candidate and the
job's recruiters (``Job.recruiter_ids``, chosen on the job's form). Each
chooses, per organization (``Membership.response_notifications``), how to hear about answers:
``every`` answer by email at once (the default), a ``daily`` summary email
(``send_daily_summaries``, run hourly, at most one per person per 23 hours and only when there
is something new), or ``off``. Notices are ordinary outbox messages to the recruiter's address.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import (
    Campaign,
    Candidate,
    Job,
    Membership,
    Message,
    Organization,
    Shortlist,
    ShortlistEntry,
    User,
    utcnow,
)
from webapp.services import links
from webapp.services.notify import chat
from webapp.services.scheduling import show_time
from webapp.services.sending.outbox import create_message

logger = logging.getLogger(__name__)

CHOICES = (
    ("every", "Every answer, by email"),
    ("daily", "A daily summary email"),
    ("off", "Off"),
)
ANSWER_WORDS = {
    "accepted": "accepted",
    "declined": "declined",
    "reschedule_requested": "asked for another time",
}
NOTICE_KIND, SUMMARY_KIND = "response_notice", "response_summary"
SUMMARY_EVERY = timedelta(hours=23)


def set_choice(membership: Membership, choice: str) -> None:
    if choice not in dict(CHOICES):
        raise ValueError("Choose every answer, a daily summary or off.")
    membership.response_notifications = choice
    db.session.flush()


def _inviting_campaigns(entry_ids):
    return (
        select(Campaign.created_by_id)
        .join(Message, Message.campaign_id == Campaign.id)
        .where(Message.shortlist_entry_id.in_(entry_ids), Campaign.created_by_id.is_not(None))
    )


def responsible(entry: ShortlistEntry) -> list[tuple[User, Membership]]:
    """The active members who created a campaign that invited this entry's candidate, and the
    job's recruiters."""
    shortlist = db.session.get(Shortlist, entry.shortlist_id)
    job = db.session.get(Job, shortlist.job_id)
    recruiters = [uuid.UUID(str(i)) for i in (job.recruiter_ids or [])]
    statement = (
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.org_id == entry.org_id,
            User.is_active_user.is_(True),
            or_(User.id.in_(_inviting_campaigns([entry.id])), User.id.in_(recruiters)),
        )
    )
    return [(user, membership) for user, membership in db.session.execute(statement)]


def notify_answer(org: Organization, entry: ShortlistEntry) -> list[Message]:
    """Email the answer now to each responsible person who wants every answer, and post it to
    the organization's chat channel when it has one."""
    answer = _answer(org, entry)
    subject = f"{answer['name']} {answer['words']}: {answer['job']} interview"
    chat.post(org, f"{subject}{' (' + answer['at'] + ')' if answer['at'] else ''}. "
                   f"Responses: {links.public_url('/responses/')}")  # fmt: skip
    people = [user for user, m in responsible(entry) if m.response_notifications == "every"]
    if not people:
        return []
    html, text = _bodies(org, subject, [answer])
    return [_create(org, user, NOTICE_KIND, subject, html, text) for user in people]


def send_daily_summaries(now: datetime | None = None) -> int:
    """One summary per person who chose ``daily`` and has answers since their last one."""
    now = now or utcnow()
    statement = (
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.response_notifications == "daily", User.is_active_user.is_(True))
    )
    sent = 0
    for user, membership in list(db.session.execute(statement)):
        if _summarize(user, membership, now) is not None:
            sent += 1
    return sent


def _summarize(user: User, membership: Membership, now: datetime) -> Message | None:
    last = db.session.scalar(
        select(func.max(Message.created_at)).where(
            Message.org_id == membership.org_id,
            Message.kind == SUMMARY_KIND,
            Message.to_email == user.email.lower(),
        )
    )
    if last is not None and now - last < SUMMARY_EVERY:
        return None
    since = last or now - timedelta(days=1)
    invited = select(Message.shortlist_entry_id).join(Campaign, Campaign.id == Message.campaign_id)
    on_my_jobs = select(Shortlist.id).where(Shortlist.job_id.in_(_jobs_of(user, membership)))
    entries = list(
        db.session.scalars(
            select(ShortlistEntry)
            .where(
                ShortlistEntry.org_id == membership.org_id,
                ShortlistEntry.responded_at > since,
                or_(
                    ShortlistEntry.id.in_(invited.where(Campaign.created_by_id == user.id)),
                    ShortlistEntry.shortlist_id.in_(on_my_jobs),
                ),
            )
            .order_by(ShortlistEntry.responded_at)
        )
    )
    if not entries:
        return None
    org = db.session.get(Organization, membership.org_id)
    answers = [_answer(org, entry) for entry in entries]
    subject = f"Interview answers today: {len(answers)} new"
    html, text = _bodies(org, subject, answers)
    return _create(org, user, SUMMARY_KIND, subject, html, text)


def _jobs_of(user: User, membership: Membership) -> list[uuid.UUID]:
    """The organization's jobs that name ``user`` among their recruiters."""
    rows = db.session.execute(
        select(Job.id, Job.recruiter_ids).where(Job.org_id == membership.org_id)
    )
    return [job_id for job_id, ids in rows if str(user.id) in (ids or [])]


def _answer(org: Organization, entry: ShortlistEntry) -> dict:
    candidate = db.session.get(Candidate, entry.candidate_id)
    shortlist = db.session.get(Shortlist, entry.shortlist_id)
    job = db.session.get(Job, shortlist.job_id)
    return {
        "name": candidate.full_name or candidate.email,
        "email": candidate.email,
        "words": ANSWER_WORDS.get(entry.response_status, entry.response_status),
        "job": job.title,
        "at": show_time(entry.interview_at, org.timezone),
        "note": entry.response_note,
    }


def _bodies(org: Organization, subject: str, answers: list[dict]) -> tuple[str, str]:
    url = links.public_url("/responses/")
    html = render_template(
        "notifications/response_notice.html",
        org=org,
        answers=answers,
        responses_url=url,
        title=subject,
    )
    return html, _text(subject, answers)


def _text(subject: str, answers: list[dict]) -> str:
    lines = [subject, ""]
    for a in answers:
        lines.append(f"- {a['name']} {a['words']} ({a['job']}{', ' + a['at'] if a['at'] else ''})")
        if a["note"]:
            lines.append(f'  "{a["note"]}"')
    lines += ["", f"All answers: {links.public_url('/responses/')}"]
    return "\n".join(lines)


def _create(org, user: User, kind: str, subject: str, html: str, text: str) -> Message:
    return create_message(
        org.id,
        to_email=user.email,
        to_name=user.name,
        raw_subject=subject,
        raw_html=html,
        raw_text=text,
        category="transactional",
        is_transactional=True,
        kind=kind,
    )
