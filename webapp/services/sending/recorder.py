"""Recording outcomes: the Message rows, one DeliveryAttempt per attempt, the event stream,
outgoing webhooks, suppressions and alerts -- written in chunks, one commit per chunk.

Rows are updated with bulk UPDATEs by primary key (no ORM objects are touched after the
first commit of a batch), so a batch of hundreds costs a handful of statements.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from webapp.config import Settings
from webapp.extensions import db
from webapp.models import DeliveryAttempt, MessageStatus, utcnow
from webapp.services import events
from webapp.services.sending import claiming, marks, outcomes, row_updates, sent_record
from webapp.services.sending.outcomes import Reply
from webapp.services.tracking import domain_rollups

logger = logging.getLogger(__name__)
FLUSH_EVERY = 100  # messages
FLUSH_SECONDS = 1.0  # or this long since the last commit, whichever comes first


@dataclass
class Outgoing:
    """Plain data for one claimed message (safe to use after the session commits)."""

    id: uuid.UUID
    org_id: uuid.UUID
    to_email: str
    is_transactional: bool
    attempts: int
    budget_started_at: datetime  # the retry budget counts from here (S5)
    campaign_id: uuid.UUID | None
    message_id_header: str = ""
    subject: str = ""
    links: list | None = None
    template_version_id: uuid.UUID | None = None
    language: str = ""  # the language the content was rendered in
    data: bytes = b""
    build: Any = None  # makes ``data`` at send time instead (large attachments: see pipeline)
    mail_from: str = ""
    handed_over: bool = False  # released to SMTP (its fate is in Redis until the next commit)
    content: Any = None  # the Content the bytes were built from, for the sent record
    invites_entry_id: uuid.UUID | None = None  # its shortlist entry is "invited" once sent

    @property
    def domain(self) -> str:
        return self.to_email.rpartition("@")[2]

    @property
    def mark(self) -> str:
        """Its claim's name in Redis (``marks``)."""
        return marks.key(self.id, self.attempts)


class Recorder:
    def __init__(self, settings: Settings, conn: redis.Redis):
        self.settings = settings
        self.conn = conn
        self.updates: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.hooks: list[tuple[uuid.UUID, str, dict]] = []
        self.bounces: list[Outgoing] = []
        self.contents: list[dict[str, Any]] = []
        self.invited: list[uuid.UUID] = []
        self.counts: dict[str, int] = {}
        self.done: set[uuid.UUID] = set()  # ids with an outcome recorded
        self.held: dict[uuid.UUID, claiming.Claim] = {}  # this batch's claims
        self.lost: set[uuid.UUID] = set()  # claims the sweeper took back (lease ran out)
        self.confirmed: set[uuid.UUID] = set()  # the database says these are still ours
        self.lease_renew_at = 0.0
        self.flushed_at = time.monotonic()

    def _count(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    def policy(self, item: Outgoing, action: str, reason: str, until: datetime | None) -> None:
        """Suppressed or deferred by policy or rate: not an SMTP attempt, not counted."""
        now = utcnow()
        row = {"id": item.id, "lease_expires_at": None, "last_error": reason}
        row["attempts"] = max(0, item.attempts - 1)
        if action == "suppress":
            row["status"] = MessageStatus.SUPPRESSED.value
        else:
            row["status"] = MessageStatus.DEFERRED.value
            row["send_after"] = until or now
        self._count(row["status"])
        self._add(row)

    def failed_before_smtp(self, item: Outgoing, reason: str) -> None:
        self._add(
            {
                "id": item.id,
                "status": MessageStatus.FAILED.value,
                "failed_at": utcnow(),
                "last_error": reason,
                "lease_expires_at": None,
            }
        )
        self._count(MessageStatus.FAILED.value)
        self._event(item, "failed", {"reason": reason})

    def attempt(self, item: Outgoing, relay_name: str, reply: Reply, duration_ms: int) -> str:
        now = utcnow()
        self.attempts.append(self._attempt_row(item, relay_name, reply, duration_ms, now))
        if relay_name and item.content is not None:
            self._keep_content(item, now)
        return self._settle(item, relay_name, reply, now)

    def relay_failed(self, items: list[Outgoing], relay_name: str, reply: Reply) -> None:
        """A relay could not be reached for these messages: a try on each one's timeline
        (the next relay may still send them)."""
        now = utcnow()
        self.attempts.extend(
            self._attempt_row(item, relay_name, reply, None, now) for item in items
        )

    def relay_unreachable(self, item: Outgoing, relay_name: str, reply: Reply) -> str:
        """No relay took the message after at least one was tried (its try is on the
        timeline already): the attempt counts and keeps the relay's real error."""
        return self._settle(item, relay_name, reply, utcnow())

    def circuits_open(self, item: Outgoing, skipped: list[tuple[str, str]], cooldown: float):
        """Every relay's circuit is open: nothing was tried, so the attempt does not count;
        the message waits for the circuit to be probed again, keeping the relays' last error."""
        now = utcnow()
        reasons = "; ".join(f"{name}: {error or 'repeated failures'}" for name, error in skipped)
        row = {
            "id": item.id,
            "lease_expires_at": None,
            "attempts": max(0, item.attempts - 1),
            "last_error": f"not sent, every relay's circuit is open ({reasons})"[:2000],
        }
        if self._may_retry(item, now, attempts=item.attempts - 1):
            row["status"] = MessageStatus.DEFERRED.value
            row["send_after"] = now + timedelta(seconds=cooldown)
        else:
            row["status"] = MessageStatus.FAILED.value
            row["failed_at"] = now
            self._event(item, "failed", {"reply": row["last_error"]})
        self._count(row["status"])
        self.updates.append(row)
        return row["status"]

    def _attempt_row(self, item, relay_name: str, reply: Reply, duration_ms, now) -> dict:
        return {
            "org_id": item.org_id,
            "message_id": item.id,
            "attempted_at": now,
            "relay_name": relay_name,
            "smtp_code": reply.code,
            "smtp_reply": reply.describe()[:2000],
            "outcome": outcomes.classify(reply),
            "duration_ms": duration_ms,
        }

    def _settle(self, item: Outgoing, relay_name: str, reply: Reply, now: datetime) -> str:
        outcome = outcomes.classify(reply)
        row = {
            "id": item.id,
            "relay_name": relay_name,
            "last_smtp_code": reply.code,
            "last_error": "" if outcome == outcomes.SENT else reply.describe()[:2000],
            "lease_expires_at": None,
            "message_id_header": item.message_id_header,
            "subject": item.subject,
        }
        if item.links is not None:
            row["links"] = item.links
        if item.template_version_id is not None:
            row["template_version_id"] = item.template_version_id
        if item.language:
            row["language"] = item.language
        status = self._status(item, reply, outcome, row, now)
        row["status"] = status
        self._count(status)
        self._add(row)
        return status

    def _add(self, row: dict[str, Any]) -> None:
        self.updates.append(row)
        self.done.add(row["id"])

    def _keep_content(self, item: Outgoing, now: datetime) -> None:
        """What this attempt handed to the server, for the message page (sent_record)."""
        self.contents.append(
            sent_record.record_row(
                message_id=item.id,
                org_id=item.org_id,
                sent_at=now,
                content=item.content,
                keep_body=self.settings.sent_content_retention_days > 0,
            )
        )
        item.content = None

    def _status(self, item: Outgoing, reply: Reply, outcome: str, row: dict, now) -> str:
        if outcome == outcomes.SENT:
            row["sent_at"] = now
            if item.invites_entry_id is not None:
                self.invited.append(item.invites_entry_id)
            self._event(item, "sent", {"smtp_code": reply.code})
            self.hooks.append((item.org_id, "message.sent", self._hook_data(item)))
            return MessageStatus.SENT.value
        if outcome == outcomes.BOUNCED:
            row["bounced_at"] = now
            self.bounces.append(item)
            self._event(item, "bounced", {"bounce_type": "hard", "smtp_code": reply.code})
            self.hooks.append((item.org_id, "message.bounced", self._hook_data(item, reply)))
            return MessageStatus.BOUNCED.value
        if outcome == outcomes.UNKNOWN and not item.is_transactional:
            self._event(item, "failed", {"unknown": True, "reply": reply.describe()})
            return MessageStatus.UNKNOWN.value
        if outcome in (outcomes.DEFERRED, outcomes.UNKNOWN) and self._may_retry(item, now):
            delay = outcomes.backoff_delay(
                item.attempts,
                base=self.settings.retry_base_seconds,
                cap=self.settings.retry_max_delay_seconds,
            )
            row["send_after"] = now + timedelta(seconds=delay)
            self._event(item, "deferred", {"smtp_code": reply.code, "retry_in_s": round(delay)})
            return MessageStatus.DEFERRED.value
        row["failed_at"] = now
        if outcomes.is_policy_rejection(reply):
            self._alert(item, reply)
        self._event(item, "failed", {"smtp_code": reply.code, "reply": reply.describe()})
        return MessageStatus.FAILED.value

    def _may_retry(self, item: Outgoing, now: datetime, attempts: int | None = None) -> bool:
        return outcomes.budget_left(
            attempts=item.attempts if attempts is None else attempts,
            created_at=item.budget_started_at,
            now=now,
            max_attempts=self.settings.retry_max_attempts,
            max_age_hours=self.settings.retry_max_age_hours,
        )

    def _alert(self, item: Outgoing, reply: Reply) -> None:
        """S3: a 5.7.x policy rejection is an alert for the organization's admins."""
        from webapp.services import audit

        logger.warning(
            "policy rejection (%s) for message %s of org %s", reply.enhanced, item.id, item.org_id
        )
        audit.record(
            item.org_id,
            "sending.policy_rejection",
            actor_label="sending pipeline",
            target_type="message",
            target_id=item.id,
            details={"reply": reply.describe()[:500]},
        )

    def _hook_data(self, item: Outgoing, reply: Reply | None = None) -> dict[str, Any]:
        data = {"message_id": str(item.id), "to": item.to_email, "subject": item.subject}
        if item.campaign_id:
            data["campaign_id"] = str(item.campaign_id)
        if reply is not None:
            data.update(bounce_type="hard", smtp_code=reply.code, reply=reply.describe()[:500])
        return data

    def _event(self, item: Outgoing, kind: str, data: dict[str, Any]) -> None:
        self.events.append(
            events.make_event(
                org_id=item.org_id, message_id=item.id, type=kind, source="smtp", data=data
            )
        )

    @property
    def should_flush(self) -> bool:
        if not self.updates:
            return False
        overdue = time.monotonic() - self.flushed_at > FLUSH_SECONDS
        return len(self.updates) >= FLUSH_EVERY or overdue

    def hold(self, claims: list[claiming.Claim]) -> None:
        """The claimed rows of this batch: their lease is renewed while the batch runs."""
        self.held = {claim.id: claim for claim in claims}
        self.lease_renew_at = time.monotonic() + self.settings.lease_seconds / 2

    def keep_lease(self, commit: bool = True) -> None:
        """A long batch (slow renders, a slow server) keeps its rows: the sweeper must not
        take back what a live worker is still sending. Renews at half the lease."""
        if self.held and time.monotonic() >= self.lease_renew_at:
            self._renew(commit)

    def still_held(self, item: Outgoing) -> bool:
        """Its Redis mark is gone (the sweeper took it, or Redis lost its data): the database
        decides. Renews the lease of every open claim, so this costs one query per batch."""
        if item.id in self.lost:
            return False
        if item.id not in self.confirmed or time.monotonic() >= self.lease_renew_at:
            self._renew(commit=True)  # what was confirmed holds only while the lease runs
        return item.id in self.confirmed

    def _renew(self, commit: bool) -> None:
        open_claims = [c for c in self.held.values() if c.id not in self.done | self.lost]
        kept = claiming.renew_lease(open_claims, self.settings.lease_seconds, utcnow())
        self.confirmed = kept
        self.lost |= {claim.id for claim in open_claims} - kept
        self.lease_renew_at = time.monotonic() + self.settings.lease_seconds / 2
        if commit:
            db.session.commit()

    def flush(self) -> None:
        """Write everything recorded so far (and renew the lease when due), then commit."""
        self.flushed_at = time.monotonic()
        self.keep_lease(commit=False)
        if not self.updates:
            db.session.commit()
            return
        row_updates.bulk_update(self.updates)
        if self.attempts:
            db.session.execute(db.insert(DeliveryAttempt), self.attempts)
        sent_record.write(self.contents)
        claiming.mark_invited(self.invited)
        self._suppress_bounces()
        self._emit_hooks()
        # last before the commit: the rollup rows are shared by every worker
        domain_rollups.add_sent(row["id"] for row in self.updates if "sent_at" in row)
        db.session.commit()
        try:
            events.push_events(self.conn, self.events)  # after commit: the rows exist
            marks.forget(self.conn, [self.held[row["id"]].mark for row in self.updates])
        except redis.RedisError as exc:  # the outcomes are committed; the batch stops soon
            logger.warning("outcomes committed but Redis failed after the commit: %s", exc)
        self.updates, self.attempts, self.events, self.hooks, self.bounces = [], [], [], [], []
        self.contents, self.invited = [], []

    def _suppress_bounces(self) -> None:
        if not self.bounces:
            return
        from webapp.services.consent.suppressions import suppress

        for item in self.bounces:
            suppress(item.org_id, item.to_email, "hard_bounce", source_message_id=item.id)

    def _emit_hooks(self) -> None:
        if not self.hooks:
            return
        from webapp.services.notify import webhooks as hooks

        endpoints = hooks.enabled_endpoints({org_id for org_id, _, _ in self.hooks})
        for org_id, kind, data in self.hooks:
            if endpoints.get(org_id):
                hooks.emit_to(endpoints[org_id], kind, data)
