"""A candidate's reply, forwarded to the recruiter responsible.

The recruiter is the person who created the campaign the message belongs to, else the
organization's owners and admins. The forward is an ordinary outbox message (kind
``reply_forward``: retried, logged and shown like any other) whose Reply-To is the candidate,
so the recruiter answers from their own mail client straight to the candidate. It opens with
a block naming the candidate, the job and the interview, then the candidate's words, then what
they quoted; attachments are listed with a link to the message page in Herald, where they can
be downloaded (they are not copied into the outbox).
"""

from __future__ import annotations

from email.utils import formataddr

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Campaign,
    Candidate,
    InboundMail,
    Job,
    Message,
    Organization,
    Shortlist,
    ShortlistEntry,
    User,
)
from webapp.services.inbound.addresses import FORWARD_KIND
from webapp.services.links import public_url
from webapp.services.scheduling import show_time
from webapp.services.sending import guardrails, outbox


def recruiters(message: Message) -> list[str]:
    campaign = db.session.get(Campaign, message.campaign_id) if message.campaign_id else None
    if campaign is not None and campaign.created_by_id:
        user = db.session.get(User, campaign.created_by_id)
        if user is not None and user.is_active_user:
            return [user.email]
    return guardrails.admin_emails(message.org_id)


def _context_lines(message: Message, row: InboundMail) -> list[str]:
    candidate = db.session.get(Candidate, message.candidate_id) if message.candidate_id else None
    entry = (
        db.session.get(ShortlistEntry, message.shortlist_entry_id)
        if message.shortlist_entry_id
        else None
    )
    job = _job(message, entry)
    parts = (candidate.first_name, candidate.last_name) if candidate else ()
    name = " ".join(p for p in parts if p)
    name = name or row.details.get("from_name") or row.from_email
    lines = [f"Candidate: {name} <{row.from_email}>"]
    if job is not None:
        lines.append(f"Job: {job.title}" + (f" ({job.location})" if job.location else ""))
    org = db.session.get(Organization, message.org_id)
    tz_name = org.timezone if org is not None else "UTC"
    if entry is not None and entry.interview_at is not None:
        lines.append(
            f"Interview: {show_time(entry.interview_at, tz_name, '%Y-%m-%d %H:%M')}"
            f" · answer: {entry.response_status}"
        )
    sent = show_time(message.sent_at, tz_name, "%Y-%m-%d %H:%M") if message.sent_at else "not sent"
    lines.append(f'In reply to: "{message.subject}" (sent {sent})')
    return lines


def _job(message: Message, entry: ShortlistEntry | None) -> Job | None:
    if entry is not None:
        statement = select(Shortlist.job_id).where(Shortlist.id == entry.shortlist_id)
        job_id = db.session.scalar(statement)
        if job_id:
            return db.session.get(Job, job_id)
    campaign = db.session.get(Campaign, message.campaign_id) if message.campaign_id else None
    if campaign is not None and campaign.job_id:
        return db.session.get(Job, campaign.job_id)
    return None


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, size // 1000)} KB"


def forward_text(message: Message, row: InboundMail) -> str:
    page = public_url(f"/messages/{message.id}")
    lines = _context_lines(message, row)
    kept = [a for a in row.attachments if a.get("kept")]
    if row.attachments:
        listed = ", ".join(f"{a['filename']} ({_size(a['size'])})" for a in row.attachments)
        lines.append(f"Attachments: {listed}" + (f" — download: {page}" if kept else ""))
    lines.append(f"In Herald: {page}")
    lines.append("Answer this email to write to the candidate directly.")
    body = "\n".join(lines) + "\n\n" + "-" * 60 + "\n\n" + (row.text or "(no text)") + "\n"
    if row.quoted_text:
        quoted = "\n".join(f"> {line}" for line in row.quoted_text.splitlines())
        body += "\n" + quoted + "\n"
    return body


def forward_reply(row: InboundMail, message: Message) -> list[Message]:
    """Queue the forward to each recruiter (after the caller's commit)."""
    if not row.from_email:
        return []
    reply_to = formataddr((row.details.get("from_name") or "", row.from_email), charset="utf-8")
    subject = row.subject or f"Re: {message.subject}"
    sent = []
    for email in recruiters(message):
        forward = outbox.create_message(
            message.org_id,
            to_email=email,
            raw_subject=f"{subject} [reply from {row.from_email}]"[:900],
            raw_text=forward_text(message, row),
            category="transactional",
            is_transactional=True,
            kind=FORWARD_KIND,
            context={"reply_to": reply_to, "inbound_id": str(row.id)},
        )
        sent.append(forward)
    if sent:
        row.forward_message_id = sent[0].id
    return sent
