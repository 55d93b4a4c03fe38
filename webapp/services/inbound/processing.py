"""Process stored incoming mail: classify each, find the message it is about, act.

A batch (the rows one job claimed) is read with one query for its messages and applied in
one transaction, suppressions included.

Order of the checks: an ARF report is a complaint; an RFC 3464 report is a bounce (or a
delivery notice); prose from a mailer daemon is a bounce (the provider shapes in ``dsn``); an
auto-reply is kept as such; what is left, addressed to a reply address (or answering one of
our Message-IDs), is a candidate's reply. The message is found by the recipient's signed
token, else ``Original-Envelope-Id``, else the original ``Message-ID`` / ``X-Herald-Message-Id``
in the report, else ``In-Reply-To``/``References`` — always within the organization the token
or the mailbox belongs to.

What it does feeds the same event stream as the provider webhooks (``events`` → drain):
a hard bounce or a complaint suppresses the address at once (W7), the drain moves the message
to bounced or complained, counts it in the stats and the guardrails, and posts the outgoing
webhooks. Events are pushed with the id ``inbound:<row id>`` before the commit, so a retried
job stores each event once. A mail that cannot be processed stays stored (``attempts``,
``error``) and is retried; nothing is deleted.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from typing import Any

import redis
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import InboundMail, Message, Suppression, utcnow
from webapp.services import events
from webapp.services.consent import suppressions
from webapp.services.inbound import addresses, arf, autoreply, dsn, replies

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass
class Finding:
    kind: str  # bounce | complaint | autoreply | reply | unknown
    details: dict[str, Any] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)  # fallback references to our message
    bounce: dsn.Bounce | None = None
    complaint: arf.Complaint | None = None


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def classify(msg: EmailMessage, mail_from: str, purposes: set[str]) -> Finding:
    complaint = arf.parse_arf(msg)
    if complaint is not None:
        ids = [complaint.original_mail_from, *complaint.original_message_ids]
        return Finding("complaint", complaint.as_details(), ids, complaint=complaint)
    bounce = dsn.parse_dsn(msg) or dsn.parse_text_bounce(msg, _plain_text(msg), mail_from)
    if bounce is not None:
        ids = [bounce.envelope_id, *bounce.original_message_ids]
        return Finding("bounce", bounce.as_details(), ids, bounce=bounce)
    reason = autoreply.auto_reply_reason(msg)
    if reason is not None:
        return Finding("autoreply", {"reason": reason}, _thread_ids(msg))
    thread = _thread_ids(msg)
    if "reply" in purposes or thread:
        return Finding("reply", {}, thread)
    return Finding("unknown", {}, thread)


def _plain_text(msg: EmailMessage) -> str:
    parts = []
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)[:200_000]


def _thread_ids(msg: EmailMessage) -> list[str]:
    values = f"{msg.get('In-Reply-To', '')} {msg.get('References', '')}"
    return re.findall(r"<[^<>\s]+>", values)


def _token_matches(rcpts: list[str]) -> tuple[list[uuid.UUID], set[str], uuid.UUID | None]:
    """Message ids named by recipient tokens, their purposes, and a feedback-address org."""
    ids, purposes, org_id = [], set(), None
    for rcpt in rcpts:
        found = addresses.parse_recipient(rcpt)
        if found is None:
            continue
        purposes.add(found.purpose)
        if found.purpose == "feedback":
            org_id = found.message_id  # a feedback address names the organization
        else:
            ids.append(found.message_id)
    return ids, purposes, org_id


def _reference_ids(values: list[str]) -> list[uuid.UUID]:
    """Our message ids in envelope ids, Message-IDs, X-Herald ids and VERP return paths."""
    found = []
    for value in values:
        local = (value or "").strip().strip("<>")
        verp = addresses.parse_recipient(local) if "+" in local.split("@")[0] else None
        if verp is not None and verp.purpose != "feedback":
            found.append(verp.message_id)
            continue
        match = UUID_RE.search(local.split("@")[0])
        if match:
            found.append(uuid.UUID(match.group(0)))
    return found


def match_message(
    messages: dict[uuid.UUID, Message],
    token_ids: list[uuid.UUID],
    references: list[str],
    org_id: uuid.UUID | None,
) -> Message | None:
    for message_id in token_ids:
        message = messages.get(message_id)
        if message is not None and (org_id is None or message.org_id == org_id):
            return message
    if org_id is None:  # a fallback reference is trusted only within a known organization
        return None
    for message_id in _reference_ids(references):
        message = messages.get(message_id)
        if message is not None and message.org_id == org_id:
            return message
    return None


@dataclass
class _Item:
    row: InboundMail
    msg: EmailMessage
    token_ids: list[uuid.UUID]
    org_id: uuid.UUID | None
    finding: Finding


def process(ids: list[uuid.UUID], conn: redis.Redis) -> dict[str, int]:
    """Process the rows ``ids`` together: one read of their messages, one commit. When the
    batch fails, each row is tried alone so one bad mail cannot hold the others back; a row
    that still fails is left for a retry (``attempts``, ``error``), never lost."""
    try:
        return _process_together(ids, conn)
    except Exception as exc:
        db.session.rollback()
        if len(ids) == 1:
            _record_failure(ids[0], exc)
            raise
    kinds: Counter = Counter()
    for inbound_id in ids:
        try:
            kinds.update(_process_together([inbound_id], conn))
        except Exception as exc:
            db.session.rollback()
            _record_failure(inbound_id, exc)
            logger.exception("incoming mail %s could not be processed", inbound_id)
    return dict(kinds)


def _process_together(ids: list[uuid.UUID], conn: redis.Redis) -> dict[str, int]:
    rows = db.session.scalars(
        select(InboundMail).where(
            InboundMail.id.in_(ids), InboundMail.status.in_(("received", "processing"))
        )
    ).all()
    if not rows:
        return {}
    stream = _apply_all(rows)
    kinds = dict(Counter(row.kind for row in rows))  # read before the commit expires them
    events.push_events(conn, stream)  # before the commit: a retry pushes the same ids
    db.session.commit()
    return kinds


def _record_failure(inbound_id: uuid.UUID, exc: Exception) -> None:
    row = db.session.get(InboundMail, inbound_id)
    if row is None:
        return
    row.attempts += 1
    row.error = f"{type(exc).__name__}: {exc}"[:1000]
    row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "received"
    db.session.commit()  # a failed row is kept, with its raw bytes, for a person to look at
    logger.warning("incoming mail %s failed (attempt %s)", inbound_id, row.attempts)


def _apply_all(rows: list[InboundMail]) -> list[dict]:
    items = []
    for row in rows:
        msg = parse(row.raw)
        token_ids, purposes, feedback_org = _token_matches(row.rcpt_to or [])
        finding = classify(msg, row.mail_from, purposes)
        items.append(_Item(row, msg, token_ids, feedback_org or row.org_id, finding))
    wanted = {i for item in items for i in item.token_ids + _reference_ids(item.finding.ids)}
    messages = _load_messages(wanted)
    stream: list[dict] = []
    blocked: list[tuple[Message, str, str]] = []
    for item in items:
        message = match_message(messages, item.token_ids, item.finding.ids, item.org_id)
        stream += _apply(item, message, blocked)
    _suppress_all(blocked)
    db.session.flush()
    return stream


def _load_messages(ids: set[uuid.UUID]) -> dict[uuid.UUID, Message]:
    found: dict[uuid.UUID, Message] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 1000):
        chunk = id_list[start : start + 1000]
        found.update(
            (m.id, m) for m in db.session.scalars(select(Message).where(Message.id.in_(chunk)))
        )
    return found


def _apply(item: _Item, message: Message | None, blocked: list) -> list[dict]:
    from webapp.services.inbound import forwarding

    row, finding = item.row, item.finding
    row.kind, row.details = finding.kind, finding.details
    row.status, row.processed_at, row.error = "processed", utcnow(), ""
    row.attempts += 1
    if message is not None:
        row.org_id, row.message_id = message.org_id, message.id
        row.candidate_id = message.candidate_id
    if finding.kind == "reply" and message is not None:
        _store_reply(row, item.msg)
        forwarding.forward_reply(row, message)
        return [_event(row, message, "replied", {"inbound_id": str(row.id)})]
    if finding.kind == "autoreply":
        row.from_email = replies.read_reply(item.msg).from_email
        return []
    return _apply_report(row, finding, message, blocked) if message is not None else []


def _store_reply(row: InboundMail, msg: EmailMessage) -> None:
    reply = replies.read_reply(msg)
    row.from_email, row.subject = reply.from_email, reply.subject
    row.text, row.quoted_text, row.attachments = reply.text, reply.quoted_text, reply.attachments
    row.details = {"from_name": reply.from_name}


def _apply_report(row: InboundMail, finding: Finding, message: Message, blocked: list):
    if finding.complaint is not None:
        if not finding.complaint.is_complaint:
            return []
        blocked.append((message, "complaint", ""))
        return [_event(row, message, "complained", finding.details)]
    bounce = finding.bounce
    if bounce is None:
        return []
    if bounce.bounce_type == "delivered":
        return [_event(row, message, "delivered", finding.details)]
    if bounce.bounce_type == "hard":
        note = f"{bounce.status} {bounce.diagnostic}".strip()[:500]
        blocked.append((message, "hard_bounce", note))
        message.last_error = f"Bounced: {note}"[:1000]
    return [_event(row, message, "bounced", finding.details)]


def _suppress_all(blocked: list[tuple[Message, str, str]]) -> None:
    """Suppress every (message's address, reason) in a few statements: one read of the rows
    already there, then the new ones; a stronger reason replaces a weaker one."""
    if not blocked:
        return
    emails = {suppressions.normalize(m.to_email) for m, _, _ in blocked}
    orgs = {m.org_id for m, _, _ in blocked}
    existing = {
        (s.org_id, s.email): s
        for s in db.session.scalars(
            select(Suppression).where(Suppression.org_id.in_(orgs), Suppression.email.in_(emails))
        )
    }
    for message, reason, note in blocked:
        key = (message.org_id, suppressions.normalize(message.to_email))
        row = existing.get(key)
        if row is None:
            row = existing[key] = Suppression(
                org_id=key[0], email=key[1], reason=reason, note=note, source_message_id=message.id
            )
            db.session.add(row)
        elif suppressions.outranks(reason, row.reason):
            row.reason, row.note = reason, note or row.note


def _event(row: InboundMail, message: Message, kind: str, data: dict) -> dict:
    return events.make_event(
        org_id=message.org_id,
        message_id=message.id,
        type=kind,
        event_id=f"inbound:{row.id}",
        source="inbound",
        data=dict(data),
    )
