"""Delivery status notifications (RFC 3464) and the non-standard bounces of the big providers.

A DSN is ``multipart/report; report-type=delivery-status``: a human-readable part, a
``message/delivery-status`` part (one block of per-message fields, then one block per
recipient: ``Action``, ``Status``, ``Diagnostic-Code``, ``Final-Recipient``), and the
original message or its headers. Mail servers that do not write DSNs (qmail, old Exim and
Yahoo forms, some appliances) say the same in prose; :func:`parse_text_bounce` finds the
enhanced status code or the SMTP reply in it, best-effort.

Hard or soft: a hard bounce means the address does not work and is suppressed (REQUIREMENTS
S2): ``5.1.x`` (bad mailbox or domain), ``5.2.1`` (mailbox disabled), or a permanent failure
whose text says the user is unknown. Everything else is soft: delays and 4.x.x, a full
mailbox (5.2.2), and policy or content rejections (5.7.x: the address is fine, the mail was
not; S3), which are recorded with ``permanent`` set so a person can see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
SMTP_REPLY_RE = re.compile(r"\b([45]\d\d)[ -]")
UNKNOWN_USER_RE = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
    r"doesn't have an? .{0,40}account|recipient not found|invalid (recipient|mailbox|address)|"
    r"mailbox unavailable|address rejected|not a valid mailbox|account (is )?disabled|"
    r"unknown recipient|no mailbox here",
    re.IGNORECASE,
)
ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}")
TEXT_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|delivery (status notification|failure|has failed|failed)|returned mail|"
    r"failure notice|mail delivery (failed|failure|system)|could not be delivered|"
    r"non[- ]?delivery|delivery problem|nondeliverable",
    re.IGNORECASE,
)
PERMANENT_PHRASES = re.compile(
    r"permanent (error|failure)|i've given up|could not be delivered|failed permanently|"
    r"following address(es)? failed|unable to deliver|delivery has failed|was not delivered",
    re.IGNORECASE,
)
TEMPORARY_PHRASES = re.compile(
    r"delivery (is )?delayed|will (keep|continue) trying|temporar(y|ily)|has not yet been "
    r"delivered|still trying|will retry",
    re.IGNORECASE,
)


@dataclass
class Bounce:
    bounce_type: str  # hard | soft | delivered
    status: str = ""  # enhanced status code, e.g. 5.1.1
    diagnostic: str = ""  # the remote server's words
    recipient: str = ""
    action: str = ""  # failed | delayed | delivered | relayed | expanded
    permanent: bool = False
    envelope_id: str = ""  # Original-Envelope-Id
    original_message_ids: list[str] = field(default_factory=list)  # Message-ID, X-Herald-…
    reporting_mta: str = ""
    shape: str = "rfc3464"  # or the prose form it was read from

    def as_details(self) -> dict:
        return {
            "bounce_type": self.bounce_type,
            "status": self.status,
            "diagnostic": self.diagnostic[:1000],
            "recipient": self.recipient,
            "action": self.action,
            "permanent": self.permanent,
            "reporting_mta": self.reporting_mta[:200],
            "shape": self.shape,
        }


def is_report(msg: Message, report_type: str) -> bool:
    return (
        msg.get_content_type() == "multipart/report"
        and (msg.get_param("report-type") or "").lower() == report_type
    )


def _value(raw: object) -> str:
    """``rfc822; someone@example.com`` → the value after the type, unfolded."""
    text = " ".join(str(raw or "").split())
    kind, semi, rest = text.partition(";")
    return rest.strip() if semi and " " not in kind.strip() else text


def classify(status: str, action: str, diagnostic: str) -> tuple[str, bool]:
    """(bounce_type, permanent) from the enhanced status code, the action and the text."""
    action = action.lower()
    if action in ("delivered", "relayed", "expanded"):
        return "delivered", False
    if action == "delayed" or status.startswith("4"):
        return "soft", False
    if not status.startswith("5"):
        code = SMTP_REPLY_RE.search(diagnostic or "")
        if not code or not code.group(1).startswith("5"):
            return "soft", False
    if status.startswith("5.1.") or status == "5.2.1":
        return "hard", True
    if status.startswith(("5.2.2", "5.7.", "5.3.", "5.4.", "5.6.")):
        return "soft", True
    if UNKNOWN_USER_RE.search(diagnostic or ""):
        return "hard", True
    return "soft", True


def parse_dsn(msg: Message) -> Bounce | None:
    """The first failed (else delayed, else any) recipient of an RFC 3464 report."""
    if not is_report(msg, "delivery-status"):
        return None
    blocks: list[Message] = []
    original: list[str] = []
    for part in msg.iter_parts() if hasattr(msg, "iter_parts") else msg.get_payload():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = [b for b in part.get_payload() if isinstance(b, Message)]
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            original = original_ids(part)
    if not blocks:
        return None
    per_message, recipients = blocks[0], blocks[1:] or blocks[:1]
    chosen = _pick(recipients)
    status = (STATUS_RE.search(str(chosen.get("Status", ""))) or [""])[0]
    diagnostic = _value(chosen.get("Diagnostic-Code", ""))
    action = str(chosen.get("Action", "")).strip().lower()
    bounce_type, permanent = classify(status, action, diagnostic)
    return Bounce(
        bounce_type=bounce_type,
        status=status,
        diagnostic=diagnostic,
        recipient=_value(chosen.get("Final-Recipient") or chosen.get("Original-Recipient")),
        action=action,
        permanent=permanent,
        envelope_id=str(per_message.get("Original-Envelope-Id", "")).strip(),
        original_message_ids=original,
        reporting_mta=_value(per_message.get("Reporting-MTA", "")),
    )


def _pick(recipients: list[Message]) -> Message:
    for wanted in ("failed", "delayed"):
        for block in recipients:
            if str(block.get("Action", "")).strip().lower() == wanted:
                return block
    return recipients[0]


def original_ids(part: Message) -> list[str]:
    """Message-ID and X-Herald-Message-Id of the original message inside a report part."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        headers = payload[0]
    else:
        from email.parser import HeaderParser

        text = part.get_payload(decode=True) or b""
        headers = HeaderParser().parsestr(text.decode("utf-8", "replace"))
    found = [str(headers.get(name, "")).strip() for name in ("X-Herald-Message-Id", "Message-ID")]
    return [value for value in found if value]


def parse_text_bounce(msg: Message, text: str, mail_from: str) -> Bounce | None:
    """A bounce written in prose (qmail, Exim's and Yahoo's old forms, appliances)."""
    subject = str(msg.get("Subject", ""))
    sender = (mail_from or str(msg.get("From", ""))).lower()
    from_daemon = mail_from == "" or any(n in sender for n in ("mailer-daemon", "postmaster"))
    if not (from_daemon or TEXT_BOUNCE_SUBJECT_RE.search(subject)):
        return None
    if not (PERMANENT_PHRASES.search(text) or TEMPORARY_PHRASES.search(text)):
        return None
    body = _report_text(text)
    found = STATUS_RE.search(body)
    status = found.group(0) if found else ""
    reply = SMTP_REPLY_RE.search(body)
    diagnostic = _diagnostic_line(body, found or reply)
    if TEMPORARY_PHRASES.search(text) and not PERMANENT_PHRASES.search(text):
        action = "delayed"
    else:
        action = "failed"
        if not status and reply:
            status = f"{reply.group(1)[0]}.0.0"
        status = status or "5.0.0"
    bounce_type, permanent = classify(status, action, diagnostic)
    addresses = ADDRESS_RE.findall(body)
    return Bounce(
        bounce_type=bounce_type,
        status=status,
        diagnostic=diagnostic,
        recipient=addresses[0].lower() if addresses else "",
        action=action,
        permanent=permanent,
        original_message_ids=_embedded_ids(msg),
        shape=_shape(text),
    )


def _report_text(text: str) -> str:
    """The report without the returned original below it."""
    cut = re.search(
        r"^(-{2,}.*(original message|below this line|returned message).*|"
        r"--- Below this line is a copy of the message\.)$",
        text,
        re.IGNORECASE | re.MULTILINE,
    )
    return text[: cut.start()] if cut else text


def _diagnostic_line(body: str, match: re.Match | None) -> str:
    if match is None:
        return ""
    start = body.rfind("\n", 0, match.start()) + 1
    end = body.find("\n", match.end())
    line = body[start : end if end != -1 else len(body)]
    return " ".join(line.split())[:1000]


def _shape(text: str) -> str:
    lowered = text.lower()
    if "qmail-send program" in lowered:
        return "qmail"
    if "remote host said" in lowered:
        return "yahoo"
    if "following address(es) failed" in lowered:
        return "exim"
    return "text"


def _embedded_ids(msg: Message) -> list[str]:
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            return original_ids(part)
    raw = msg.get_payload(decode=True) if not msg.is_multipart() else None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    found = re.findall(r"(?im)^(?:X-Herald-Message-Id|Message-ID):\s*(\S+)", text)
    return found
