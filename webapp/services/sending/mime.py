"""The bytes of one email, built once and DKIM-signed (REQUIREMENTS C1, C2, C9).

The message is multipart/alternative (text, then HTML), wrapped in multipart/mixed when there
are attachments (an ``.ics`` invitation is an attachment with ``text/calendar; method=REQUEST``).
Headers: From, To, Reply-To, Subject, Date, a stable ``Message-ID: <message uuid@sending
domain>``, ``List-Unsubscribe`` (one https URI, optionally a mailto) with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, and the webhook-matching headers.

DKIM signs the serialized bytes, the signature header is prepended, and exactly those bytes go
to the SMTP server; ``h=`` names both List-Unsubscribe headers (dkimpy's default list does not).
"""

from __future__ import annotations

import email.policy
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import dkim

from webapp.models import utcnow
from webapp.services.sending.content import Content

_POLICY = email.policy.SMTP.clone(linesep="\r\n")
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)


@dataclass(frozen=True)
class DkimKey:
    domain: str
    selector: str
    private_key_pem: bytes = field(repr=False)


@dataclass(frozen=True)
class Envelope:
    message_id: uuid.UUID
    sender: str  # "Name <address>"
    to_email: str
    to_name: str
    reply_to: str
    sending_domain: str
    unsubscribe_url: str
    unsubscribe_mailto: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def mail_from(self) -> str:
        return parseaddr(self.sender)[1]


def message_id_header(message_id: uuid.UUID, sending_domain: str) -> str:
    """``<uuid@sending-domain>``: unique per message, the same on every retry (C9)."""
    return f"<{message_id}@{sending_domain}>"


def build(envelope: Envelope, content: Content, dkim_key: DkimKey | None = None) -> bytes:
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = envelope.sender
    msg["To"] = formataddr((envelope.to_name, envelope.to_email))
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    msg["Subject"] = content.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id_header(envelope.message_id, envelope.sending_domain)
    unsubscribe = f"<{envelope.unsubscribe_url}>"
    if envelope.unsubscribe_mailto:
        unsubscribe += f", <mailto:{envelope.unsubscribe_mailto}>"
    msg["List-Unsubscribe"] = unsubscribe
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in envelope.extra_headers.items():
        msg[name] = value
    msg.set_content(content.text or " ", cte="quoted-printable")
    if content.html:
        msg.add_alternative(content.html, subtype="html", cte="quoted-printable")
    for item in content.attachments:
        maintype, _, subtype = item.content_type.partition(";")[0].strip().partition("/")
        params = {"method": "REQUEST"} if subtype == "calendar" else {}
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype, filename=item.filename, params=params
        )
    data = msg.as_bytes(policy=_POLICY)
    return sign(data, dkim_key) if dkim_key else data


def sign(data: bytes, key: DkimKey) -> bytes:
    """Prepend a DKIM-Signature over ``data``; the result is what must be sent, unchanged."""
    signature = dkim.sign(
        data,
        key.selector.encode(),
        key.domain.encode(),
        key.private_key_pem,
        include_headers=[h for h in SIGNED_HEADERS if _has_header(data, h)],
        canonicalize=(b"relaxed", b"relaxed"),
    )
    return signature + data


def _has_header(data: bytes, name: bytes) -> bool:
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name + b":") or (b"\r\n" + name + b":") in head
