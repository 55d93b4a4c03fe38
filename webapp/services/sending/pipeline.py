"""``send_messages(ids)``: claim, check policy, build bytes, send over SMTP, record.

One call handles one job: a single transactional message or a batch of hundreds. The batch is
grouped by organization; each group goes through the organization's relays in priority order
over ONE SMTP connection, skipping relays whose circuit is open (S6). Outcomes are committed
every ``FLUSH_EVERY`` messages; in between, each SMTP reply is marked in Redis before the next
message goes out (``marks``), so a killed worker leaves at most one ambiguous message per
connection and the sweeper resolves the rest from the marks (see ``claiming``).

When the job stops early (Redis gone mid-batch, say), what was sent is still committed and the
claimed rows that never reached SMTP go straight back to ``queued``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from itertools import groupby

import redis
from sqlalchemy import select

from webapp.config import Settings
from webapp.extensions import db
from webapp.models import Message, Organization, SendingDomain, utcnow
from webapp.services.inbound import addresses
from webapp.services.sending import circuit, claiming, limits, marks, policy
from webapp.services.sending.content import ComposeError, compose
from webapp.services.sending.mime import DkimKey, Envelope, build, message_id_header
from webapp.services.sending.outcomes import Reply
from webapp.services.sending.preload import preload
from webapp.services.sending.recorder import Outgoing, Recorder
from webapp.services.sending.relays import RelayConfig, matching_headers, org_relays
from webapp.services.sending.transport import RelayUnavailable, SMTPSession

logger = logging.getLogger(__name__)
MAX_RATE_WAIT = 2.0  # seconds a worker waits for a token before deferring the message
TOKEN_RUN = 25  # messages to one domain that take their tokens together
# Bytes are built for the whole batch before its SMTP session, except for messages whose
# files pass this size: a 5 MB PDF on 200 messages would hold 1.3 GB of built emails, so
# those are built (and DKIM-signed) right before they are sent, one at a time.
EAGER_ATTACHMENT_BYTES = 256 * 1024


@dataclass
class BatchReport:
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def send_messages(ids: list[uuid.UUID], settings: Settings, conn: redis.Redis) -> BatchReport:
    now = utcnow()
    claimed = claiming.claim(ids, lease_seconds=settings.lease_seconds, now=now)
    report = BatchReport(claimed=len(claimed))
    if not claimed:
        db.session.commit()
        return report
    try:  # marked before the claim commits: a committed claim always has its marks
        marks.mark_claimed(conn, [claim.mark for claim in claimed])
    except redis.RedisError:
        db.session.rollback()  # nothing was claimed: the sweeper sends them later
        raise
    db.session.commit()
    messages = db.session.scalars(
        select(Message)
        .where(Message.id.in_([claim.id for claim in claimed]))
        .order_by(Message.org_id, Message.id)
    ).all()
    orgs = _orgs({m.org_id for m in messages})
    facts = policy.load_facts(messages, now)
    recorder = Recorder(settings, conn)
    recorder.hold(claimed)
    work = []
    for org_id, group in groupby(messages, key=lambda m: m.org_id):
        relays = org_relays(org_id, settings)
        items = _prepare(list(group), orgs[org_id], facts, settings, recorder, relays[0].preset)
        work.append((org_id, items, relays))
    recorder.flush()  # policy outcomes; the ORM objects are not used after this point
    try:
        for org_id, items, relays in work:
            _deliver(deque(items), org_id, relays, settings, conn, recorder)
    finally:
        _settle([item for _, items, _ in work for item in items], recorder)
    report.counts = recorder.counts
    return report


def _settle(items: list[Outgoing], recorder: Recorder) -> None:
    """Commit what was recorded; rows that never reached SMTP go back to ``queued``."""
    recorder.flush()
    unsent = [
        claiming.Claim(item.id, item.attempts)
        for item in items
        if not item.handed_over and item.id not in recorder.done and item.id not in recorder.lost
    ]
    if unsent:
        claiming.release(unsent, utcnow())
        db.session.commit()


def _orgs(ids: set[uuid.UUID]) -> dict[uuid.UUID, Organization]:
    return {
        o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))
    }


def _prepare(messages, org: Organization, facts, settings: Settings, recorder: Recorder, preset):
    """Apply policy and build the bytes of every message that may go out now."""
    now = utcnow()
    dkim_key = _dkim_key(org)
    held = preload(messages)  # entries, candidates, jobs, templates: a few queries per batch
    ready = []
    for message in messages:
        recorder.keep_lease()  # renders may take a while (each has HERALD_RENDER_TIMEOUT_MS)
        item = _outgoing(message)
        decision = policy.decide(message, org, facts, now, settings.frequency_cap)
        if decision.action != "send":
            recorder.policy(item, decision.action, decision.reason, decision.until)
            continue
        try:
            _render(item, message, org, settings, dkim_key, preset)
        except ComposeError as exc:
            recorder.failed_before_smtp(item, str(exc)[:1000])
            continue
        ready.append(item)
    del held
    return sorted(ready, key=lambda item: item.domain)  # runs per domain share tokens


def _outgoing(message: Message) -> Outgoing:
    return Outgoing(
        id=message.id,
        org_id=message.org_id,
        to_email=message.to_email,
        is_transactional=message.is_transactional,
        attempts=message.attempts,
        budget_started_at=message.retried_at or message.created_at,
        campaign_id=message.campaign_id,
        invites_entry_id=message.shortlist_entry_id if message.category == "invitations" else None,
    )


def _render(item: Outgoing, message: Message, org: Organization, settings, dkim_key, preset: str):
    from webapp.services.links import unsubscribe_url

    content = compose(message, org)
    domain = sending_domain(org, settings)
    sender = _sender(org, settings)
    envelope = Envelope(
        message_id=message.id,
        sender=sender,
        to_email=message.to_email,
        to_name=message.to_name,
        reply_to=addresses.reply_to(org, message, domain, settings),
        sending_domain=domain,
        unsubscribe_url=unsubscribe_url(org.id, message.to_email, message.id),
        extra_headers=matching_headers(preset, message.id),
    )
    if sum(len(a.data) for a in content.attachments) > EAGER_ATTACHMENT_BYTES:
        item.build = partial(build, envelope, content, dkim_key)  # one message's bytes at a time
    else:
        item.data = build(envelope, content, dkim_key)
    item.mail_from = addresses.return_path(org, message.id, domain, settings, envelope.mail_from)
    item.message_id_header = message_id_header(message.id, domain)
    item.subject = content.subject[:2000]
    item.links = content.links or None
    item.template_version_id = content.template_version_id
    item.language = content.language
    item.content = content  # the sent record (recorder, sent_record) keeps what went out


def sending_domain(org: Organization, settings: Settings) -> str:
    """The domain of Message-IDs and DKIM: the org's sending domain, else its sender's."""
    for address in (org.sending_domain, org.sender_email, settings.default_sender):
        domain = (address or "").rstrip(">").rpartition("@")[2] or (address or "")
        if domain and "." in domain and domain != "localhost":
            return domain.lower()
    return "herald.invalid"


def _sender(org: Organization, settings: Settings) -> str:
    from email.utils import formataddr

    if org.sender_email:
        return formataddr((org.sender_name or org.name, org.sender_email))
    return settings.default_sender


def _dkim_key(org: Organization) -> DkimKey | None:
    from webapp.services.crypto import decrypt

    if not org.sending_domain:
        return None
    row = db.session.scalars(
        select(SendingDomain).where(
            SendingDomain.org_id == org.id, SendingDomain.domain == org.sending_domain
        )
    ).first()
    if row is None or not row.dkim_private_key_encrypted:
        return None
    return DkimKey(row.domain, row.dkim_selector, decrypt(row.dkim_private_key_encrypted).encode())


def _deliver(queue: deque, org_id, relays: list[RelayConfig], settings, conn, recorder) -> None:
    """Each relay in turn takes what is left. A relay that cannot be reached is on every
    waiting message's timeline with its real error; an open circuit is no attempt."""
    last: tuple[str, Reply] | None = None  # the last relay tried and what it answered
    skipped: list[tuple[str, str]] = []  # relays whose circuit is open, with their last error
    for relay in relays:
        if not queue:
            return
        if not circuit.allow(conn, relay.key, cooldown=settings.circuit_cooldown_seconds):
            logger.info("relay %s skipped: circuit open", relay.name)
            skipped.append((relay.name, circuit.last_error(conn, relay.key)))
            continue
        try:
            _send_through(queue, org_id, relay, settings, conn, recorder)
        except RelayUnavailable as exc:
            reply = Reply(exc.reply.code, f"{exc.reply.describe()} ({relay.host}:{relay.port})")
            logger.warning("relay %s unavailable: %s", relay.name, reply.describe()[:200])
            circuit.record_failure(
                conn,
                relay.key,
                threshold=settings.circuit_failures,
                cooldown=settings.circuit_cooldown_seconds,
                reason=reply.describe(),
            )
            recorder.relay_failed(list(queue), relay.name, reply)
            last = (relay.name, reply)
            continue
        circuit.record_success(conn, relay.key)
    while queue:  # no relay could take them: deferred (S1), or failed once the budget is spent
        item = queue.popleft()
        if last is not None:
            recorder.relay_unreachable(item, *last)
        else:
            recorder.circuits_open(item, skipped, settings.circuit_cooldown_seconds)


def _send_through(queue: deque, org_id, relay: RelayConfig, settings, conn, recorder) -> None:
    rates = limits.Rates(
        settings.org_rate_per_second, relay.rate_per_second, settings.domain_rate_per_second
    )
    limiter = limits.Limiter(conn, str(org_id), relay.key, rates)
    session = SMTPSession(relay)
    session.open()  # RelayUnavailable: the next relay gets the whole queue
    hand_over = marks.HandOver(conn)
    sent_on_session = 0
    allowance = 0  # messages at the head of the queue that hold their tokens
    replied = None  # (id, code) of the last message the server answered, not yet marked
    try:
        while queue:
            if allowance == 0:
                allowance = _take_tokens(limiter, queue, recorder)
                continue
            item = queue[0]
            if not session.is_open:
                session.open()
                sent_on_session = 0
            recorder.keep_lease()  # a slow server must not let the lease run out under us
            # the previous reply is durable from here; the next message is ours to send only
            # if its claim is still marked, or the database says the claim is still ours
            ours = hand_over(item.mark, replied) or recorder.still_held(item)
            replied = None
            if not ours:  # the sweeper took it back after our lease ran out, and requeued it
                queue.popleft()
                allowance -= 1
                continue
            item.handed_over = True
            started = time.monotonic()
            data = item.data or item.build()
            reply = session.send(item.mail_from, item.to_email, data)
            del data
            if reply.code is None and not reply.after_data and sent_on_session == 0:
                raise RelayUnavailable(reply)  # a fresh connection that breaks: try the next relay
            replied = (item.mark, reply.code)
            queue.popleft()
            allowance -= 1
            sent_on_session += 1
            _after_reply(item, reply, relay, session, conn, recorder, started)
            if recorder.should_flush:
                recorder.flush()
    finally:
        try:
            if replied is not None:
                hand_over(None, replied)
        finally:
            hand_over.close()
            session.close()


def _take_tokens(limiter: limits.Limiter, queue: deque, recorder: Recorder) -> int:
    """Tokens for the run of messages to the head's domain; 0 after a wait or a deferral."""
    domain = queue[0].domain
    run = 0
    most = min(TOKEN_RUN, limiter.most(domain))
    while run < len(queue) and run < most and queue[run].domain == domain:
        run += 1
    wait = limiter.take(domain, run)
    if wait <= 0:
        return run
    if wait <= MAX_RATE_WAIT:
        time.sleep(wait)
        return 0
    until = utcnow() + timedelta(seconds=wait)
    for _ in range(run):
        recorder.policy(queue.popleft(), "defer", "rate limited", until)
    return 0


def _after_reply(item, reply: Reply, relay, session, conn, recorder, started: float) -> None:
    duration = int((time.monotonic() - started) * 1000)
    recorder.attempt(item, relay.name, reply, duration)
    if reply.code is not None and 400 <= reply.code < 500:
        limits.slow_down(conn, item.domain)
        if reply.code == 421:  # the server is closing the session
            session.close()
