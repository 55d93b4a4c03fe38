"""Attachment parts as mail clients read them: any file name comes back unchanged from the
``email`` parser (RFC 2231, continued when long), a calendar part states UTF-8 and keeps its
iTIP method (a cancellation says CANCEL), and DKIM verifies over all of it."""

from __future__ import annotations

import email
import email.policy

import dkim
import pytest

from tests.test_sending_mime import ICS, envelope, key  # noqa: F401
from webapp.services.sending.content import Attachment, Content
from webapp.services.sending.mime import build

NAMES = [
    "cv.pdf",
    'Quote "this" and back\\slash.pdf',
    "Anfahrt Zürich.pdf",
    "履歴書 — 山田太郎 (最終版, 2030年).pdf",
    "Très long nom de fichier pour les indications d'accès au bâtiment " * 3 + ".pdf",
]


@pytest.mark.parametrize("name", NAMES)
def test_every_file_name_reads_back_unchanged(name, key):  # noqa: F811
    signing, record = key
    data = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n"
    content = Content(
        subject="Directions",
        html="<p>Attached</p>",
        text="Attached",
        attachments=[Attachment(name, "application/pdf", data)],
    )
    raw = build(envelope(), content, signing)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    (part,) = list(mail.iter_attachments())
    assert part.get_filename() == name
    assert part.get_content() == data
    assert email.message_from_bytes(raw).get_payload()[1].get_filename() == name  # compat32 too
    assert dkim.verify(raw, dnsfunc=lambda _name, timeout=5: record)


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_calendar_part_says_utf8_and_its_method(method):
    kind = f'text/calendar; charset="utf-8"; method={method}'  # as calendar.py writes it
    content = Content(
        subject="Interview",
        html="<p>Hi</p>",
        text="Hi",
        attachments=[Attachment("invite.ics", kind, ICS)],
    )
    raw = build(envelope(), content)
    header = next(
        line for line in raw.split(b"\r\n") if line.startswith(b"Content-Type: text/calendar")
    )
    assert header == f"Content-Type: text/calendar; charset=UTF-8; method={method};".encode()
    (part,) = list(email.message_from_bytes(raw, policy=email.policy.default).iter_attachments())
    assert part.get_content_charset() == "utf-8" and part.get_param("method") == method
