"""The dev inbox: a local SMTP server (aiosmtpd) that keeps every email it receives.

Each message is stored as ``<timestamp>-<n>.eml`` in the instance folder, exactly as received,
and the dashboard's Dev inbox page lists and renders them.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

_counter = itertools.count()


class InboxHandler:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{next(_counter)}.eml"
        rcpts = ", ".join(envelope.rcpt_tos)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
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


def list_messages(folder: Path, limit: int = 200) -> list[InboxMessage]:
    folder = Path(folder)
    if not folder.exists():
        return []
    paths = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [_load(path) for path in paths]


def get_message(folder: Path, key: str) -> InboxMessage | None:
    if not key.replace("-", "").isdigit():
        return None
    path = Path(folder) / f"{key}.eml"
    return _load(path) if path.exists() else None


def raw_bytes(folder: Path, key: str) -> bytes | None:
    if not key.replace("-", "").isdigit():
        return None
    path = Path(folder) / f"{key}.eml"
    return path.read_bytes() if path.exists() else None


def clear(folder: Path) -> int:
    count = 0
    for path in Path(folder).glob("*.eml"):
        path.unlink(missing_ok=True)
        count += 1
    return count
