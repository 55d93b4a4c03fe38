"""The bytes of one email, built once and DKIM-signed (REQUIREMENTS C1, C2, C9).

The message is multipart/alternative (text, then HTML), wrapped in multipart/mixed when there
are attachments: the template's and the send's files, and the interview ``.ics`` (``text/calendar;
charset=UTF-8; method=REQUEST`` or ``CANCEL``). Non-ASCII file names are RFC 2231 parameters.
Headers: From, To, Reply-To, Subject, Date, a stable ``Message-ID: <message uuid@sending
domain>``, ``List-Unsubscribe`` (one https URI, optionally a mailto) with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, and the webhook-matching headers.

The MIME is written directly (quoted-printable bodies, RFC 2047 encoded words for non-ASCII
headers): the standard library's ``email`` generator re-parses and refolds every header and
cost ~4 ms a message, most of a worker's budget. The DKIM signature (``dkim_sign``) is made over
the finished bytes and prepended; exactly those bytes go to the SMTP server, and ``h=`` names
both List-Unsubscribe headers. Tests verify every signature with dkimpy's ``dkim.verify``.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from urllib.parse import quote

from webapp.models import utcnow
from webapp.services.sending import quoted_printable
from webapp.services.sending.content import Attachment, Content
from webapp.services.sending.dkim_sign import DkimKey, sign

CRLF = b"\r\n"
__all__ = ["DkimKey", "Envelope", "build", "message_id_header"]


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
        return _parse(self.sender)[1]


@lru_cache(maxsize=256)
def _parse(address: str) -> tuple[str, str]:
    return parseaddr(address)


def message_id_header(message_id: uuid.UUID, sending_domain: str) -> str:
    """``<uuid@sending-domain>``: unique per message, the same on every retry (C9)."""
    return f"<{message_id}@{sending_domain}>"


def encode_header(value: str) -> str:
    """ASCII as is (without line breaks); otherwise RFC 2047 base64 encoded words."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    raw = value.encode("utf-8")
    words, start = [], 0
    while start < len(raw):
        end = min(len(raw), start + 45)
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # never split a character
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(raw[start:end]).decode()}?=")
        start = end
    return "\r\n ".join(words)


def _address(name: str, address: str) -> str:
    return formataddr((" ".join(name.split()), address), charset="utf-8")


def _headers(envelope: Envelope, subject: str) -> list[tuple[str, str]]:
    unsubscribe = f"<{envelope.unsubscribe_url}>"
    if envelope.unsubscribe_mailto:
        unsubscribe += f", <mailto:{envelope.unsubscribe_mailto}>"
    sender_name, sender_address = _parse(envelope.sender)
    headers = [
        ("From", _address(sender_name, sender_address)),
        ("To", _address(envelope.to_name, envelope.to_email)),
    ]
    if envelope.reply_to:
        headers.append(("Reply-To", envelope.reply_to))
    headers += [
        ("Subject", encode_header(subject)),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", message_id_header(envelope.message_id, envelope.sending_domain)),
        ("List-Unsubscribe", unsubscribe),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("MIME-Version", "1.0"),
    ]
    headers += [(name, " ".join(value.split())) for name, value in envelope.extra_headers.items()]
    return headers


def _text_part(text: str, subtype: str) -> bytes:
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    body = quoted_printable.encode(normalized).replace(b"\n", CRLF)
    head = (
        f"Content-Type: text/{subtype}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    return head.encode() + body + CRLF


def _attachment_part(item: Attachment) -> bytes:
    kind, _, params = item.content_type.partition(";")
    kind = kind.strip().lower()
    if kind.startswith("text/"):  # text attachments are checked to be UTF-8 when stored
        kind += "; charset=UTF-8"
    if kind.startswith("text/calendar"):
        kind += f"; method={_parameter(params, 'method') or 'REQUEST'}"
    head = (
        f"Content-Type: {kind};\r\n {_file_parameter('name', item.filename)}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment;\r\n {_file_parameter('filename', item.filename)}"
        "\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(item.data).replace(b"\n", CRLF)


def _parameter(params: str, wanted: str) -> str:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == wanted:
            return "".join(ch for ch in value.strip().strip('"') if ch.isalnum() or ch == "-")
    return ""


def _file_parameter(name: str, filename: str) -> str:
    """``name="cv.pdf"``, or RFC 2231 for other names: ``name*=utf-8''%C3%A9t%C3%A9.pdf``,
    continued over several lines (``name*0*=``, ``name*1*=``) when it is long."""
    filename = "".join(ch for ch in filename if ch >= " " and ch != "\x7f") or "attachment"
    if filename.isascii() and '"' not in filename and "\\" not in filename:
        return f'{name}="{filename}"'
    encoded = quote(filename.encode("utf-8"), safe="")
    pieces, start = [], 0
    while start < len(encoded):
        end = min(len(encoded), start + 60)
        while end < len(encoded) and "%" in encoded[end - 2 : end]:  # never split a %XX
            end -= 1
        pieces.append(encoded[start:end])
        start = end
    if len(pieces) == 1:
        return f"{name}*=utf-8''{pieces[0]}"
    first = f"{name}*0*=utf-8''{pieces[0]}"
    return ";\r\n ".join([first] + [f"{name}*{i}*={p}" for i, p in enumerate(pieces[1:], 1)])


def _multipart(subtype: str, parts: list[bytes]) -> tuple[str, bytes]:
    boundary = f"==herald-{uuid.uuid4().hex}"
    body = b"".join(b"--" + boundary.encode() + CRLF + part for part in parts)
    body += b"--" + boundary.encode() + b"--" + CRLF
    return f'multipart/{subtype}; boundary="{boundary}"', body


def _body(content: Content) -> tuple[str, bytes]:
    parts = [_text_part(content.text or " ", "plain")]
    if content.html:
        parts.append(_text_part(content.html, "html"))
    kind, body = _multipart("alternative", parts)
    if content.attachments:
        inner = f"Content-Type: {kind}\r\n\r\n".encode() + body
        kind, body = _multipart(
            "mixed", [inner] + [_attachment_part(a) for a in content.attachments]
        )
    return kind, body


def build(envelope: Envelope, content: Content, dkim_key: DkimKey | None = None) -> bytes:
    kind, body = _body(content)
    headers = [*_headers(envelope, content.subject), ("Content-Type", kind)]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("ascii")
    data = head + CRLF + body
    return sign(data, dkim_key) if dkim_key else data
