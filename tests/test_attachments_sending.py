"""Attachments arrive (issue 14, item 8): a PDF uploaded on a template in the studio goes out
with the template's test send and with an interview invitation, an API send's base64 files go
out with that message; a real worker sends to a real SMTP server, and the received bytes are
parsed with the ``email`` package: every file byte for byte, non-ASCII names intact (RFC
2231), the ``.ics`` part in UTF-8, the DKIM signature still valid. The message page and the
API list what was attached."""

from __future__ import annotations

import base64
import email
import email.policy
import os

import dkim
from sqlalchemy import func, select

from tests.test_api_helpers import Api, make_key
from tests.test_sending import _dkim_domain
from tests.test_sent_record import _invitation
from tests.test_templates_studio import create
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import AttachmentFile, EmailTemplate, Message
from webapp.services.queues import TRANSACTIONAL

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + os.urandom(3000) + b"\n%%EOF\n"
DIRECTIONS = "Anfahrt Zürich \u2013 Büro 3.pdf"  # an en dash
CSV = "name,slot\nZoë,09:00\n".encode()
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Acme//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:a@example.com\r\nDTSTAMP:20301201T090000Z\r\nSUMMARY:Caf\xc3\xa9\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def upload(client, template, name: str, data: bytes, kind: str = "application/pdf"):
    from io import BytesIO

    return client.post(
        f"/templates/{template.id}/attachments",
        data={"file": (BytesIO(data), name, kind)},
        content_type="multipart/form-data",
    )


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def files_in(raw: bytes) -> dict[str, tuple[str, bytes]]:
    """{file name: (Content-Type as written, bytes)} of every attachment of the email."""
    return {
        part.get_filename(): (" ".join(part["Content-Type"].split()), part.get_payload(decode=True))
        for part in email.message_from_bytes(raw).walk()
        if part.get_content_disposition() == "attachment"
    }


def test_a_pdf_on_a_template_arrives_with_its_test_send(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
):
    record = _dkim_domain(org)
    template = create(logged_in)
    response = upload(logged_in, template, "Job description.pdf", PDF)
    assert response.status_code == 303
    assert logged_in.post(f"/templates/{template.id}/test", data={"to": "hr@example.com"})
    run_burst(worker_env, TRANSACTIONAL)

    (received,) = smtp_server.received
    mail = parsed(received.data)
    assert mail.get_content_type() == "multipart/mixed"
    assert mail.get_body(("html",)) is not None and mail.get_body(("plain",)) is not None
    assert files_in(received.data)["Job description.pdf"][1] == PDF
    assert dkim.verify(received.data, dnsfunc=lambda name, timeout=5: record)

    message = db.session.scalars(select(Message)).one()
    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Job description.pdf" in page and "application/pdf" in page
    assert f"{len(PDF) / 1000:.0f} kB" in page


def test_an_invitation_carries_the_template_files_and_a_utf8_calendar(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
    user,
):
    message, template, *_ = _invitation(org, user)
    assert upload(logged_in, template, DIRECTIONS, PDF).status_code == 303
    assert upload(logged_in, template, "slots.csv", CSV, "text/csv").status_code == 303
    db.session.expire_all()
    # the message names the template, not a version: it goes out with the current one
    run_burst(worker_env, TRANSACTIONAL)

    (received,) = smtp_server.received
    files = files_in(received.data)
    assert list(files) == [DIRECTIONS, "slots.csv", "invite.ics"]
    assert files[DIRECTIONS][1] == PDF and files["slots.csv"][1] == CSV
    calendar_type = files["invite.ics"][0]
    assert "text/calendar" in calendar_type and "charset=UTF-8" in calendar_type
    assert "method=REQUEST" in calendar_type
    assert b"BEGIN:VCALENDAR" in files["invite.ics"][1]
    assert b"filename*=utf-8''Anfahrt%20Z%C3%BCrich%20%E2%80%93%20B%C3%BCro%203.pdf" in (
        received.data
    )  # RFC 2231, not a made-up "attachment"

    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    for name in (DIRECTIONS, "slots.csv", "invite.ics"):
        assert name in page
    assert db.session.get(EmailTemplate, template.id).current_version.number == 3


def test_an_api_send_with_base64_files_arrives(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    org,
):
    record = _dkim_domain(org)
    api = Api(client, make_key(org))
    body = {
        "to": "ada@example.com",
        "subject": "Your interview",
        "text": "The directions and the invitation are attached.",
        "attachments": [
            {
                "filename": DIRECTIONS,
                "content_type": "application/pdf",
                "content": base64.encodebytes(PDF).decode(),  # line breaks are fine
            },
            {
                "filename": "interview.ics",
                "content_type": "text/calendar",
                "content": base64.b64encode(ICS).decode(),
            },
        ],
    }
    response = api.post("/messages", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    listed = response.json["attachments"]
    assert listed == [
        {"filename": DIRECTIONS, "content_type": "application/pdf", "size": len(PDF)},
        {"filename": "interview.ics", "content_type": "text/calendar", "size": len(ICS)},
    ]
    again = api.post("/messages", json={**body, "to": "grace@example.com"})
    assert again.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(AttachmentFile)) == 2  # once each
    run_burst(worker_env, TRANSACTIONAL)

    assert len(smtp_server.received) == 2
    for received in smtp_server.received:
        files = files_in(received.data)
        assert files[DIRECTIONS][1] == PDF and files["interview.ics"][1] == ICS
        assert "charset=UTF-8" in files["interview.ics"][0]
        assert dkim.verify(received.data, dnsfunc=lambda name, timeout=5: record)
    sent = api.get(f"/messages/{response.json['id']}").json
    assert sent["status"] == "sent" and sent["attachments"] == listed


def test_bulk_items_carry_their_own_files(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    org,
):
    api = Api(client, make_key(org))
    attachment = {
        "filename": "welcome.txt",
        "content_type": "text/plain",
        "content": base64.b64encode("Grüße".encode()).decode(),
    }
    items = [
        {"to": "ada@example.com", "subject": "Hi", "text": "Hi", "attachments": [attachment]},
        {"to": "grace@example.com", "subject": "Hi", "text": "Hi"},
        {"to": "alan@example.com", "subject": "Hi", "text": "Hi",
         "attachments": [{**attachment, "content": "not base64!"}]},
    ]  # fmt: skip
    response = api.post("/messages/bulk", json={"messages": items})
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected"]
    assert results[2]["errors"][0]["field"] == "attachments.0.content"
    run_burst(worker_env, TRANSACTIONAL)

    by_recipient = {r.rcpt_tos[0]: r.data for r in smtp_server.received}
    assert files_in(by_recipient["ada@example.com"])["welcome.txt"][1] == "Grüße".encode()
    assert "charset=UTF-8" in files_in(by_recipient["ada@example.com"])["welcome.txt"][0]
    assert parsed(by_recipient["grace@example.com"]).get_content_type() == "multipart/alternative"


def test_unused_files_go_after_the_retention_period_and_their_names_stay(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    logged_in,
    org,
):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from jobs.maintenance import purge_sent_content

    api = Api(client, make_key(org))
    template = create(logged_in)
    assert upload(logged_in, template, "brochure.pdf", PDF).status_code == 303

    def send(name: str, data: bytes, **fields):
        file = {"filename": name, "content_type": "text/plain",
                "content": base64.b64encode(data).decode()}  # fmt: skip
        body = {"to": "ada@example.com", "subject": "Hi", "text": "Hi", "attachments": [file]}
        response = api.post("/messages", json={**body, **fields})
        assert response.status_code == 201, response.json
        return response.json["id"]

    sent = send("sent.txt", b"sent long ago")
    later = send("later.txt", b"for next year", send_at="2099-01-01T09:00:00Z")
    run_burst(worker_env, TRANSACTIONAL)
    assert len(smtp_server.received) == 1
    long_ago = datetime.now(UTC) - timedelta(days=400)
    db.session.execute(update(AttachmentFile).values(last_used_at=long_ago))
    db.session.commit()

    purge_sent_content()
    kept = {f.size for f in db.session.scalars(select(AttachmentFile))}
    assert kept == {len(PDF), len(b"for next year")}  # the template's and the waiting one's
    page = logged_in.get(f"/messages/{sent}").get_data(as_text=True)
    assert "sent.txt" in page  # the record keeps the names
    assert api.get(f"/messages/{later}").json["attachments"][0]["filename"] == "later.txt"
