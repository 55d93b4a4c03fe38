"""The dev inbox: a local SMTP server (aiosmtpd) that keeps every email it receives.

Each message is stored exactly as received in the instance folder, as
``<timestamp>-<n>-<message uuid hex>.eml``: the uuid is the ``X-Herald-Message-Id`` header that
Herald puts on every email it sends, so the dashboard can show each organization only the mail
whose ``Message`` row is its own. Mail without that header, or whose row is gone (erased,
another database), belongs to nobody and is shown to nobody; it stays on disk in the folder.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Message

_counter = itertools.count()
_KEY = re.compile(r"^\d+-\d+(?:-([0-9a-f]{32}))?$")
_HEADER = re.compile(rb"^X-Herald-Message-Id:[ \t]*([0-9a-fA-F-]{32,36})[ \t]*\r?$", re.I | re.M)
_CHUNK = 500  # message ids per ownership query


def herald_message_id(data: bytes) -> uuid.UUID | None:
    """The ``X-Herald-Message-Id`` of raw message bytes (looked for in the header block only)."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = _HEADER.search(head)
    if found is None:
        return None
    try:
        return uuid.UUID(found.group(1).decode())
    except ValueError:
        return None


class InboxHandler:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        rcpts = ", ".join(envelope.rcpt_tos)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        message_id = herald_message_id(data)
        suffix = f"-{message_id.hex}" if message_id else ""
        name = f"{time.time_ns()}-{next(_counter)}{suffix}.eml"
        temp = self.folder / (name + ".tmp")
        temp.write_bytes(b"X-Herald-Envelope-To: " + rcpts.encode() + b"\r\n" + data)
        temp.rename(self.folder / name)
        return "250 2.0.0 Message accepted for delivery"


def make_controller(folder: Path, host: str, port: int):
    from aiosmtpd.controller import Controller

    return Controller(InboxHandler(folder), hostname=host, port=port)


def serve_forever(folder: Path, host: str, port: int) -> None:
    controller = make_controller(folder, host, port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@dataclass
class InboxMessage:
    key: str
    received_at: datetime
    parsed: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.parsed.get("Subject", "(no subject)"))

    @property
    def to(self) -> str:
        return str(self.parsed.get("To", ""))

    @property
    def sender(self) -> str:
        return str(self.parsed.get("From", ""))

    def body(self, subtype: str) -> str:
        part = self.parsed.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    def attachments(self) -> list[tuple[str, str]]:
        return [
            (part.get_filename() or "attachment", part.get_content_type())
            for part in self.parsed.iter_attachments()
        ]


def _load(path: Path) -> InboxMessage:
    stamp = int(path.name.split("-", 1)[0])
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return InboxMessage(path.stem, datetime.fromtimestamp(stamp / 1e9, UTC), parsed)


def _message_id(key: str) -> uuid.UUID | None:
    found = _KEY.match(key)
    return uuid.UUID(found.group(1)) if found and found.group(1) else None


def _owned(org_id: uuid.UUID, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    statement = select(Message.id).where(Message.org_id == org_id, Message.id.in_(ids))
    return set(db.session.scalars(statement))


def _org_paths(folder: Path, org_id: uuid.UUID, limit: int | None = None) -> list[Path]:
    """The organization's stored emails, newest first."""
    folder = Path(folder)
    if not folder.exists():
        return []
    named = [(path, _message_id(path.stem)) for path in sorted(folder.glob("*.eml"), reverse=True)]
    named = [(path, message_id) for path, message_id in named if message_id is not None]
    found: list[Path] = []
    for start in range(0, len(named), _CHUNK):
        chunk = named[start : start + _CHUNK]
        owned = _owned(org_id, [message_id for _path, message_id in chunk])
        found.extend(path for path, message_id in chunk if message_id in owned)
        if limit is not None and len(found) >= limit:
            return found[:limit]
    return found


def _org_path(folder: Path, org_id: uuid.UUID, key: str) -> Path | None:
    message_id = _message_id(key)
    if message_id is None or not _owned(org_id, [message_id]):
        return None
    path = Path(folder) / f"{key}.eml"
    return path if path.exists() else None


def list_messages(folder: Path, org_id: uuid.UUID, limit: int = 200) -> list[InboxMessage]:
    return [_load(path) for path in _org_paths(folder, org_id, limit)]


def get_message(folder: Path, org_id: uuid.UUID, key: str) -> InboxMessage | None:
    path = _org_path(folder, org_id, key)
    return _load(path) if path else None


def raw_bytes(folder: Path, org_id: uuid.UUID, key: str) -> bytes | None:
    path = _org_path(folder, org_id, key)
    return path.read_bytes() if path else None


def clear(folder: Path, org_id: uuid.UUID) -> int:
    """Remove the organization's emails (other organizations' mail stays)."""
    paths = _org_paths(folder, org_id)
    for path in paths:
        path.unlink(missing_ok=True)
    return len(paths)


def clear_all(folder: Path) -> int:
    count = 0
    for path in Path(folder).glob("*.eml"):
        path.unlink(missing_ok=True)
        count += 1
    return count
