"""Mail without attachments pays nothing for them (issue 14, item 8): a batch of template
messages looks up its version's files once per process, then never again; raw messages and
campaign batches without files make no query for attachments at all. With files, a batch
loads each file's bytes once, whatever its size."""

from __future__ import annotations

from sqlalchemy import event, select

from jobs import sending
from tests.test_attachments_sending import PDF, files_in, upload
from tests.test_templates_studio import create
from webapp.extensions import db
from webapp.models import Message
from webapp.services.sending.outbox import create_message


def _attachment_queries(run) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "template_attachments" in statement or "attachment_files" in statement:
            seen.append(" ".join(statement.split())[:120])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _batch(org, count: int, **fields) -> list[str]:
    ids = [
        str(create_message(org.id, to_email=f"c{n}@example.com", **fields).id) for n in range(count)
    ]
    db.session.commit()
    return ids


def test_no_attachment_queries_for_mail_without_files(smtp_server, logged_in, org):
    template = create(logged_in)
    raw = _batch(org, 20, raw_subject="Hi", raw_text="Hello", is_transactional=False)
    assert _attachment_queries(lambda: sending.send_batch(raw)) == []

    first = _batch(org, 20, template_id=template.id, context={"invite_url": "https://x.example"})
    assert len(_attachment_queries(lambda: sending.send_batch(first))) == 1  # the version, once
    second = _batch(org, 50, template_id=template.id, context={"invite_url": "https://x.example"})
    assert _attachment_queries(lambda: sending.send_batch(second)) == []
    assert len(smtp_server.received) == 90
    assert all(not files_in(r.data) for r in smtp_server.received)


def test_a_batch_loads_the_bytes_once(smtp_server, logged_in, org):
    template = create(logged_in)
    assert upload(logged_in, template, "brief.pdf", PDF).status_code == 303
    ids = _batch(org, 30, template_id=template.id, context={"invite_url": "https://x.example"})
    queries = _attachment_queries(lambda: sending.send_batch(ids))
    assert len(queries) == 2, queries  # the version's list, then the bytes
    assert len(smtp_server.received) == 30
    assert all(files_in(r.data)["brief.pdf"][1] == PDF for r in smtp_server.received)
    statuses = set(db.session.scalars(select(Message.status)))
    assert statuses == {"sent"}


def test_large_files_arrive_whole_and_signed(smtp_server, logged_in, org):
    """Over ``EAGER_ATTACHMENT_BYTES`` a message is built right before it is sent (a batch
    holds one such email in memory at a time); what arrives is the same."""
    import os

    import dkim

    from tests.test_sending import _dkim_domain

    record = _dkim_domain(org)
    big = b"%PDF-1.7\n" + os.urandom(1_200_000) + b"\n%%EOF\n"
    template = create(logged_in)
    assert upload(logged_in, template, "handbook.pdf", big).status_code == 303
    ids = _batch(org, 5, template_id=template.id, context={"invite_url": "https://x.example"})
    sending.send_batch(ids)
    assert len(smtp_server.received) == 5
    for received in smtp_server.received:
        assert files_in(received.data)["handbook.pdf"][1] == big
        assert dkim.verify(received.data, dnsfunc=lambda name, timeout=5: record)
    assert set(db.session.scalars(select(Message.status))) == {"sent"}
