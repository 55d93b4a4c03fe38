"""A bounce/reply mailbox polled over IMAP, for organizations that cannot point an MX at Herald.

The organization lets its bounce and reply addresses land in a mailbox it owns (its Microsoft
365 or Google Workspace account, a Postfix alias) and gives Herald the IMAP login; the
password is kept encrypted like relay passwords (``crypto``). Every poll:

1. reads up to ``BATCH`` messages from the folder with ``BODY.PEEK[]`` (their \\Seen flag is
   left alone);
2. stores each one as an ``InboundMail`` row (committed) before touching it on the server;
3. moves it to the processed folder (``MOVE``, else ``COPY`` + ``\\Deleted`` + ``EXPUNGE`` of
   that UID only). Nothing is ever deleted without being stored first, and a mail stays in the
   organization's mailbox, in the processed folder, for people to read.

A crash between 2 and 3 is harmless: the row remembers the mailbox's UIDVALIDITY and the UID,
so the next poll recognizes the mail, does not store it twice, and moves it.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import uuid
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import InboundMail, InboundMailbox, utcnow
from webapp.services.crypto import decrypt, encrypt

logger = logging.getLogger(__name__)
BATCH = 200
TIMEOUT = 20.0
FIELDS = ("host", "port", "security", "username", "folder", "processed_folder")
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


class MailboxError(Exception):
    """The mailbox could not be read (connection, login, folder)."""


def mailbox_of(org_id: uuid.UUID) -> InboundMailbox | None:
    return db.session.scalars(select(InboundMailbox).where(InboundMailbox.org_id == org_id)).first()


def save_mailbox(org_id: uuid.UUID, data: dict[str, Any]) -> InboundMailbox:
    """Create or update the organization's mailbox. An empty password keeps the stored one."""
    row = mailbox_of(org_id)
    if row is None:
        row = InboundMailbox(org_id=org_id)
        db.session.add(row)
    for name in FIELDS:
        if data.get(name) not in (None, ""):
            setattr(row, name, data[name].strip() if isinstance(data[name], str) else data[name])
    if data.get("password"):
        row.password_encrypted = encrypt(data["password"])
    row.is_enabled = bool(data.get("is_enabled", True))
    db.session.flush()
    return row


def _connect(box: InboundMailbox) -> imaplib.IMAP4:
    try:
        if box.security == "tls":
            client = imaplib.IMAP4_SSL(
                box.host, box.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT
            )
        else:
            client = imaplib.IMAP4(box.host, box.port, timeout=TIMEOUT)
            if box.security == "starttls":
                client.starttls(ssl.create_default_context())
        client.login(box.username, decrypt(box.password_encrypted))
    except (OSError, imaplib.IMAP4.error, ValueError) as exc:
        raise MailboxError(f"cannot log in to {box.host}:{box.port}: {exc}") from exc
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _delimiter(client: imaplib.IMAP4) -> str:
    """The server's hierarchy separator ("/" or "." usually), from ``LIST "" ""``."""
    status, data = client.list('""', '""')
    match = re.search(rb'\) "(.)"', (data or [b""])[0] or b"") if status == "OK" else None
    return match.group(1).decode() if match else "/"


def poll(box: InboundMailbox) -> list[uuid.UUID]:
    """Fetch, store and move one batch; returns the ids of the rows stored (committed)."""
    client = _connect(box)
    try:
        target = _quoted(box.processed_folder.replace("/", _delimiter(client)))
        client.create(target)  # "already exists" is fine
        status, _ = client.select(_quoted(box.folder))
        if status != "OK":
            raise MailboxError(f"cannot open the folder {box.folder}")
        validity = _uidvalidity(client)
        status, found = client.uid("SEARCH", None, "ALL")
        uids = (found[0] or b"").split()[:BATCH] if status == "OK" else []
        stored = [
            row_id
            for uid in uids
            if (row_id := _take(client, box, target, validity, uid.decode())) is not None
        ]
        client.close()
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return stored


def _uidvalidity(client: imaplib.IMAP4) -> str:
    """The selected folder's UIDVALIDITY (from the SELECT response)."""
    _status, data = client.response("UIDVALIDITY")
    value = (data or [b""])[0] or b""
    return value.decode() if re.fullmatch(rb"\d+", value) else "0"


def _take(client, box: InboundMailbox, target: str, validity: str, uid: str) -> uuid.UUID | None:
    key = f"imap {box.id.hex[:8]} {validity}/{uid}"
    existing = db.session.scalars(
        select(InboundMail.id).where(InboundMail.org_id == box.org_id, InboundMail.peer == key)
    ).first()
    row_id = existing
    if existing is None:
        status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
        if status != "OK" or raw is None:
            return None
        row_id = _store(box, key, raw)
    _move(client, target, uid)
    return row_id if existing is None else None


def _store(box: InboundMailbox, key: str, raw: bytes) -> uuid.UUID:
    headers = BytesHeaderParser().parsebytes(raw)
    values = [str(v) for name in RECIPIENT_HEADERS for v in headers.get_all(name, [])]
    recipients = [address for _, address in getaddresses(values) if address]
    mail_from = (headers.get("Return-Path") or "").strip().strip("<>")
    row = InboundMail(
        org_id=box.org_id,
        source="imap",
        peer=key,
        mail_from=mail_from[:400],
        rcpt_to=recipients[:20],
        raw=raw,
        size=len(raw),
    )
    db.session.add(row)
    db.session.flush()
    row_id = row.id
    db.session.commit()  # stored before the mail is moved on the server
    return row_id


def _move(client: imaplib.IMAP4, target: str, uid: str) -> None:
    status, _ = client.uid("MOVE", uid, target)
    if status == "OK":
        return
    status, _ = client.uid("COPY", uid, target)
    if status != "OK":
        raise MailboxError(f"cannot copy to {target}")
    client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    client.uid("EXPUNGE", uid)  # UIDPLUS: only this message


def poll_all() -> list[uuid.UUID]:
    """Poll every enabled mailbox; a failing one is noted on its row, the others go on."""
    stored: list[uuid.UUID] = []
    boxes = db.session.scalars(select(InboundMailbox).where(InboundMailbox.is_enabled.is_(True)))
    for box in list(boxes):
        try:
            fetched = poll(box)
            stored += fetched
            box.last_error = ""
            box.fetched_count += len(fetched)
        except (MailboxError, OSError, imaplib.IMAP4.error) as exc:
            box.last_error = str(exc)[:1000]
            logger.warning("mailbox %s could not be polled: %s", box.id, type(exc).__name__)
        box.last_polled_at = utcnow()
        db.session.commit()
    return stored
