"""Languages cost a batch a fixed few reads, never one per message: the variants of a version
are read once, and a template without translations does not look at the recipient."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from jobs import sending
from tests.test_template_translations import FRENCH, translate
from tests.test_templates_studio import create
from webapp.extensions import db
from webapp.models import Message
from webapp.services.sending.outbox import create_message

CONTEXT = {"job": {"title": "Backend Engineer"}, "invite_url": "https://example.com/i"}


@contextmanager
def counted():
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        # reads only: how often a batch commits its outcomes and renews its lease depends on
        # the machine's speed (every second, every half lease), not on what it sends
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def batch_queries(template, count: int, prefix: str) -> int:
    for n in range(count):
        create_message(
            template.org_id,
            to_email=f"{prefix}{n}@example.com",
            to_name="Sam",
            template_id=template.id,
            template_version_id=template.current_version_id,
            context=CONTEXT,
            category="invitations",
            is_transactional=False,
            kind=template.type,
        )
    db.session.commit()
    ids = [str(i) for i in db.session.scalars(select(Message.id).where(Message.status == "queued"))]
    with counted() as statements:
        sending.send_batch(ids)
    return len(statements)


def test_a_batch_costs_the_same_queries_with_or_without_translations(smtp_server, logged_in):
    plain = create(logged_in, name="Plain")
    translated = create(logged_in, name="Translated")
    translate(logged_in, translated, "fr", FRENCH)
    db.session.expire_all()

    small_plain = batch_queries(plain, 3, "a")
    big_plain = batch_queries(plain, 30, "b")
    small_translated = batch_queries(translated, 3, "c")
    big_translated = batch_queries(translated, 30, "d")

    assert len(smtp_server.received) == 66
    assert big_translated - small_translated == big_plain - small_plain  # nothing per message
    assert small_translated - small_plain <= 2  # the version's variants, read once
