"""What a candidate wrote: the new text, the quoted part folded away, and the attachments.

``read_reply(msg)`` takes the text/plain part (else the HTML part as text), cuts it where the
quoted message begins ("On … wrote:", Outlook's "From: … Sent:" block or its underscore rule,
"-----Original Message-----", a trailing run of ``>`` lines) and lists the attachments.
Attachments within the limits (``MAX_ATTACHMENTS``, ``MAX_ATTACHMENT_BYTES`` each) are offered
for download from the stored raw mail; larger ones are listed as not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr

from webapp.services.rendering.text import html_to_text

MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5_000_000
MAX_TEXT = 100_000
QUOTE_STARTS = re.compile(
    r"^(On .{0,200}wrote:\s*$|On .{0,200}\n.{0,200}wrote:\s*$|Am .{0,200}schrieb.{0,100}:\s*$|"
    r"Le .{0,200}a écrit\s*:\s*$|El .{0,200}escribió:\s*$|-{2,}\s*Original Message\s*-{2,}|"
    r"_{10,}\s*$|From:\s.+\n(Sent|Date):\s)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass
class Reply:
    from_email: str
    from_name: str
    subject: str
    text: str
    quoted_text: str
    attachments: list[dict] = field(default_factory=list)


def read_reply(msg: Message) -> Reply:
    name, address = parseaddr(str(msg.get("Reply-To") or msg.get("From") or ""))
    text = _body_text(msg)[:MAX_TEXT]
    fresh, quoted = fold_quoted(text)
    return Reply(
        from_email=address.lower(),
        from_name=name,
        subject=" ".join(str(msg.get("Subject", "")).split())[:500],
        text=fresh,
        quoted_text=quoted,
        attachments=list_attachments(msg),
    )


def _body_text(msg: Message) -> str:
    plain = html = None
    for part in msg.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None and plain.strip():
        return plain.replace("\r\n", "\n")
    return html_to_text(html) if html else ""


def _decoded(part: Message) -> str:
    raw = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def fold_quoted(text: str) -> tuple[str, str]:
    """(what is new, what is quoted)."""
    match = QUOTE_STARTS.search(text)
    cut = match.start() if match else len(text)
    lines = text[:cut].rstrip().split("\n")
    while lines and lines[-1].lstrip().startswith(">"):  # a trailing quote with no header
        lines.pop()
    fresh = "\n".join(lines).rstrip()  # still a prefix of ``text``
    return fresh.strip(), text[len(fresh) :].strip()


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (
        bool(part.get_filename()) and not part.get_content_type().startswith("text/")
    )


def attachment_parts(msg: Message) -> list[Message]:
    return [p for p in msg.walk() if not p.is_multipart() and _is_attachment(p)]


def list_attachments(msg: Message) -> list[dict]:
    found = []
    for index, part in enumerate(attachment_parts(msg)):
        size = len(part.get_payload(decode=True) or b"")
        kept = index < MAX_ATTACHMENTS and size <= MAX_ATTACHMENT_BYTES
        found.append(
            {
                "index": index,
                "filename": (part.get_filename() or f"attachment-{index + 1}")[:200],
                "content_type": part.get_content_type(),
                "size": size,
                "kept": kept,
            }
        )
    return found


def attachment_bytes(msg: Message, index: int) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of a kept attachment, for download."""
    parts = attachment_parts(msg)
    if not 0 <= index < min(len(parts), MAX_ATTACHMENTS):
        return None
    part = parts[index]
    data = part.get_payload(decode=True) or b""
    if len(data) > MAX_ATTACHMENT_BYTES:
        return None
    return part.get_filename() or f"attachment-{index + 1}", part.get_content_type(), data
