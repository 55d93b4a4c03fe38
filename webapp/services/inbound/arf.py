"""Feedback-loop reports (RFC 5965 ARF): a recipient pressed "this is spam".

An ARF report is ``multipart/report; report-type=feedback-report``: a human-readable part, a
``message/feedback-report`` part (``Feedback-Type: abuse``, ``User-Agent``, ``Version``,
optionally ``Original-Mail-From``, ``Original-Rcpt-To``, ``Arrival-Date``) and the original
message or its headers. The original carries our ``Message-ID`` and ``X-Herald-Message-Id``;
its envelope sender was our VERP address, so ``Original-Mail-From`` names the message too.
Mailbox providers redact the recipient's address, so matching never relies on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from webapp.services.inbound.dsn import is_report, original_ids

COMPLAINT_TYPES = ("abuse", "fraud", "virus", "other", "not-spam")


@dataclass
class Complaint:
    feedback_type: str
    user_agent: str = ""
    original_mail_from: str = ""
    original_rcpt_to: str = ""
    original_message_ids: list[str] = field(default_factory=list)

    @property
    def is_complaint(self) -> bool:
        return self.feedback_type != "not-spam"

    def as_details(self) -> dict:
        return {
            "feedback_type": self.feedback_type,
            "user_agent": self.user_agent[:200],
            "original_rcpt_to": self.original_rcpt_to[:320],
        }


def _fields(part: Message) -> Message:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]  # the parser read the fields as one header block
    raw = part.get_payload(decode=True) or b""
    return HeaderParser().parsestr(raw.decode("utf-8", "replace"))


def parse_arf(msg: Message) -> Complaint | None:
    if not is_report(msg, "feedback-report"):
        return None
    report: Message | None = None
    original: list[str] = []
    for part in msg.get_payload():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            report = _fields(part)
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            original = original_ids(part)
    if report is None:
        return None
    return Complaint(
        feedback_type=str(report.get("Feedback-Type", "abuse")).strip().lower() or "abuse",
        user_agent=str(report.get("User-Agent", "")).strip(),
        original_mail_from=str(report.get("Original-Mail-From", "")).strip(),
        original_rcpt_to=str(report.get("Original-Rcpt-To", "")).strip(),
        original_message_ids=original,
    )
