"""SMTP replies classified by code (REQUIREMENTS S1-S5), and the retry clock.

The rule, by reply:

- 2xx: ``sent``.
- 4xx, or the connection failing before the message data was sent: ``deferred`` with
  exponential backoff and jitter, while the retry budget lasts; then ``failed``.
- 5.1.x (no such mailbox or domain, also plain 550/551/553 with a 5.1.x text): ``bounced``, and
  the address is suppressed for the organization.
- 5.7.x (policy, authentication, reputation): ``failed``, not suppressed, an alert is raised.
- other 5xx: ``failed``.
- the connection lost after the data was sent: ``unknown`` -- the server may have accepted it.
  Bulk mail stays ``unknown`` (at most once); transactional mail is retried with the same
  Message-ID (at least once).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

SENT = "sent"
DEFERRED = "deferred"
BOUNCED = "bounced"
FAILED = "failed"
UNKNOWN = "unknown"

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Reply:
    """What the server said about one message (code None: no answer, a connection problem)."""

    code: int | None
    text: str
    after_data: bool = False  # the message data went out before the connection broke

    @property
    def enhanced(self) -> str:
        match = _ENHANCED.search(self.text or "")
        return match.group(0) if match else ""

    def describe(self) -> str:
        if self.code is None:
            return self.text or "connection failed"
        return f"{self.code} {self.text}".strip()


def classify(reply: Reply) -> str:
    """The outcome of one attempt, by reply code (never by exception type)."""
    if reply.code is None:
        return UNKNOWN if reply.after_data else DEFERRED
    if 200 <= reply.code < 300:
        return SENT
    if 400 <= reply.code < 500:
        return DEFERRED
    enhanced = reply.enhanced
    if enhanced.startswith("5.1."):
        return BOUNCED
    if enhanced.startswith("5.7.") or enhanced:
        return FAILED
    return FAILED


def is_policy_rejection(reply: Reply) -> bool:
    return reply.code is not None and reply.code >= 500 and reply.enhanced.startswith("5.7.")


def backoff_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds to wait after ``attempts`` failed tries: base * 2^(n-1), capped, jittered.

    "Equal jitter": half the delay is fixed, half random, so retries of a batch that failed
    together spread out but never come back sooner than half the nominal delay.
    """
    nominal = min(cap, base * (2 ** max(0, attempts - 1)))
    return nominal / 2 + random.uniform(0, nominal / 2)


def budget_left(
    *, attempts: int, created_at: datetime, now: datetime, max_attempts: int, max_age_hours: float
) -> bool:
    """True while another attempt is allowed (REQUIREMENTS S5)."""
    return attempts < max_attempts and now - created_at < timedelta(hours=max_age_hours)
