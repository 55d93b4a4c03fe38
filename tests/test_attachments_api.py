"""API sends refuse files Herald will not attach (issue 14, item 8): a wrong or disguised type,
invalid base64, a file or a set of files over the limits each get a 422 problem+json naming
the field, and nothing is created."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from tests.test_api_helpers import api  # noqa: F401
from webapp.extensions import db
from webapp.models import AttachmentFile, Message

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = b"%PDF-1.4\n" + b"x" * 800 + b"\n%%EOF\n"


@pytest.fixture
def small_limits(app_settings):
    app_settings.update(attachment_max_bytes=1000, attachments_total_max_bytes=1500)


def send(api, *files, **fields):  # noqa: F811
    body = {"to": "ada@example.com", "subject": "Hi", "text": "Hello", **fields}
    body["attachments"] = [
        {"filename": name, "content_type": kind, "content": content}
        for name, kind, content in files
    ]
    return api.post("/messages", json=body)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def refused(response, field: str) -> str:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json["errors"]}
    assert field in errors, errors
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(AttachmentFile)) == 0
    return errors[field]


CASES = [
    pytest.param(
        [("setup.exe", "application/x-msdownload", b64(b"MZ\x90\x00"))],
        "attachments.0.content_type",
        "is not one of",
        id="type not on the allow-list",
    ),
    pytest.param(
        [("cv.pdf", "application/pdf", b64(PDF)), ("cv.png", "application/pdf", b64(PDF))],
        "attachments.1.filename",
        "does not end in .pdf",
        id="name that does not fit its type",
    ),
    pytest.param(
        [("cv.pdf", "application/pdf", b64(b"MZ\x90\x00 a program renamed"))],
        "attachments.0.content",
        "is not a real PDF",
        id="content that is not what it says",
    ),
    pytest.param(
        [("report.docx", DOCX, b64(b"PK\x03\x04 not really a zip"))],
        "attachments.0.content",
        "damaged",
        id="broken office document",
    ),
    pytest.param(
        [("notes.txt", "text/plain", b64(b"\xff\xfe\x00l\x00a"))],
        "attachments.0.content",
        "not UTF-8 text",
        id="text that is not UTF-8",
    ),
    pytest.param(
        [("cv.pdf", "application/pdf", "JVBERi0xLjQK=A")],
        "attachments.0.content",
        "not valid base64",
        id="bad base64 padding",
    ),
    pytest.param(
        [("cv.pdf", "application/pdf", "JVBERi0x*LjQK")],
        "attachments.0.content",
        "not valid base64",
        id="characters outside base64",
    ),
    pytest.param(
        [("big.pdf", "application/pdf", b64(PDF + b"y" * 1000))],
        "attachments.0.content",
        "a file can be at most 0.1 MB",
        id="file over HERALD_ATTACHMENT_MAX_BYTES",
    ),
    pytest.param(
        [("a.pdf", "application/pdf", b64(PDF)), ("b.pdf", "application/pdf", b64(PDF + b"z"))],
        "attachments",
        "at most 0.1 MB can go with one email",
        id="files over HERALD_ATTACHMENTS_TOTAL_MAX_BYTES together",
    ),
    pytest.param(
        [("empty.pdf", "application/pdf", "")],
        "attachments.0.content",
        "",
        id="empty content",
    ),
]


@pytest.mark.parametrize(("files", "field", "words"), CASES)
def test_bad_attachments_are_refused_naming_the_field(
    small_limits,
    api,  # noqa: F811
    files,
    field,
    words,
):
    message = refused(send(api, *files), field)
    assert words in message


def test_a_template_send_counts_the_template_files_in_the_total(
    small_limits,
    api,  # noqa: F811
    logged_in,
):
    from tests.test_attachments_sending import upload
    from tests.test_templates_studio import create

    template = create(logged_in, body_mjml="<mj-section><mj-column><mj-text>Hi</mj-text>"
                      "</mj-column></mj-section>", subject="Hi", type="custom")  # fmt: skip
    assert upload(logged_in, template, "brochure.pdf", PDF).status_code == 303
    response = api.post(
        "/messages",
        json={
            "to": "ada@example.com",
            "template_id": str(template.id),
            "attachments": [{"filename": "cv.pdf", "content_type": "application/pdf",
                             "content": b64(PDF)}],
        },
    )  # fmt: skip
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["field"] == "attachments"
    assert "the template's own files included" in error["message"]


def test_a_body_over_the_request_limit_is_413(api, app):  # noqa: F811
    app.config["HERALD"].attachments_total_max_bytes = 0
    content = "A" * (9 * 1024 * 1024)
    response = send(api, ("big.pdf", "application/pdf", content))
    assert response.status_code == 413
