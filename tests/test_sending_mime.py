"""Message bytes: multipart structure, attachments (.ics), non-ASCII headers, and DKIM
signatures that dkimpy verifies on exactly those bytes (C1, C2, C9)."""

from __future__ import annotations

import base64
import email
import email.policy
import uuid

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from webapp.services.sending.content import Attachment, Content
from webapp.services.sending.dkim_sign import relaxed_body
from webapp.services.sending.mime import DkimKey, Envelope, build, encode_header

ICS = (
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Interview\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(scope="module")
def key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKey("mail.example.com", "herald", pem), b"v=DKIM1; k=rsa; p=" + base64.b64encode(
        public
    )


def envelope(**fields) -> Envelope:
    values = {
        "message_id": uuid.UUID("0190f3a2-0000-7000-8000-000000000001"),
        "sender": "Acme Talent <jobs@mail.example.com>",
        "to_email": "ada@example.com",
        "to_name": "Ada Lovelace",
        "reply_to": "recruiting@example.com",
        "sending_domain": "mail.example.com",
        "unsubscribe_url": "https://herald.example.com/u/token",
        "unsubscribe_mailto": "unsubscribe@mail.example.com",
        "extra_headers": {"X-Herald-Message-Id": "0190f3a2-0000-7000-8000-000000000001"},
    }
    values.update(fields)
    return Envelope(**values)


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_text_html_and_ics_attachment(app):
    content = Content(
        subject="Interview on Monday",
        html="<p>Hello Ada</p>",
        text="Hello Ada",
        attachments=[Attachment("invite.ics", "text/calendar", ICS)],
    )
    mail = parse(build(envelope(), content))
    assert mail.get_content_type() == "multipart/mixed"
    assert mail.get_body(("plain",)).get_content().strip() == "Hello Ada"
    assert "<p>Hello Ada</p>" in mail.get_body(("html",)).get_content()
    (ics,) = list(mail.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    assert (
        ics.get_filename() == "invite.ics"
        and ics.get_content().encode() == ICS.replace(b"\r\n", b"\n")
    ) or ics.get_content().encode() == ICS


def test_headers_c1_c9_and_non_ascii(app):
    content = Content(subject="Entretien — café à 10 h ☕", html="<p>Été</p>", text="")
    data = build(envelope(to_name="Zoë Ångström"), content)
    mail = parse(data)
    assert mail["Subject"] == "Entretien — café à 10 h ☕"
    assert mail["To"].addresses[0].display_name == "Zoë Ångström"
    assert mail["Message-ID"] == "<0190f3a2-0000-7000-8000-000000000001@mail.example.com>"
    assert mail["List-Unsubscribe"] == (
        "<https://herald.example.com/u/token>, <mailto:unsubscribe@mail.example.com>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert data.isascii()


def test_long_subjects_are_encoded_in_short_words(app):
    words = encode_header("ü" * 200).split("\r\n ")
    assert len(words) > 1 and all(len(word) <= 75 for word in words)


def test_dkim_verifies_with_attachments_and_non_ascii(app, key):
    dkim_key, record = key
    content = Content(
        subject="Entretien — café",
        html="<p>Line  with   spaces   \n\n\n.leading dot</p>\n\n",
        text="",
        attachments=[Attachment("invite.ics", "text/calendar", ICS)],
    )
    data = build(envelope(), content, dkim_key)
    assert data.startswith(b"DKIM-Signature:")
    assert dkim.verify(data, dnsfunc=lambda name, timeout=5: record)
    assert b"leading dot" in data
    tampered = data.replace(b"leading dot", b"leading d0t", 1)
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


def test_relaxed_body_canonicalization():
    assert relaxed_body(b"a  b \t\r\nc\r\n\r\n\r\n") == b"a b\r\nc\r\n"
    assert relaxed_body(b"") == b""
    assert relaxed_body(b"\r\n\r\n") == b""
    assert relaxed_body(b"x") == b"x\r\n"
    assert relaxed_body(b"a   b  \r\n    c") == b"a b\r\n c\r\n"  # spaces only
    assert relaxed_body(b"a \t b\t\r\n") == b"a b\r\n"
