"""The mailbox path against a real IMAP server (dovecot, started by the test): bounces and a
reply that landed in the organization's mailbox are stored, processed like mail to
``herald inbound``, and moved to the processed folder; nothing is deleted, nothing is stored
twice, and a wrong password is reported on the settings page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jobs.inbound import poll_mailboxes
from tests.support.dovecot import Dovecot
from tests.support.inbound import fill, process_env, sample
from tests.test_worker import run_burst
from webapp.extensions import db
from webapp.models import InboundMail, InboundMailbox, Message, Suppression
from webapp.services.inbound import imap
from webapp.services.tracking.drain import drain


@pytest.fixture
def dovecot():
    server = Dovecot().start()
    yield server
    server.stop()


def mailbox(org, server: Dovecot, password: str | None = None) -> InboundMailbox:
    box = imap.save_mailbox(
        org.id,
        {
            "host": "127.0.0.1",
            "port": server.port,
            "security": "none",
            "username": server.username,
            "password": password or server.password,
            "folder": "INBOX",
            "processed_folder": "Herald/Processed",
        },
    )
    db.session.commit()
    return box


def test_polled_bounces_and_replies_are_processed_and_moved_never_deleted(
    app,
    app_settings,
    dovecot,
    recruiting,
):
    org, (hard, _soft, _complained, _away, replying) = recruiting
    mailbox(org, dovecot)
    dovecot.deliver(sample("gmail_hard", **fill(hard, app)))
    dovecot.deliver(sample("reply_attachment", **fill(replying, app)))

    assert poll_mailboxes() == 2
    assert dovecot.folder("INBOX") == []
    moved = dovecot.folder("Herald.Processed")
    assert len(moved) == 2 and any(b"Thursday works" in raw for raw in moved)
    assert poll_mailboxes() == 0, "nothing is fetched twice"

    env = process_env(app, app_settings, HERALD_SMTP_PORT="1")
    run_burst(env, "default")  # a real worker processes what the poll stored
    drain(app.extensions["herald.redis"])
    db.session.expire_all()
    rows = {row.kind: row for row in db.session.scalars(select(InboundMail))}
    assert set(rows) == {"bounce", "reply"} and all(r.source == "imap" for r in rows.values())
    assert rows["reply"].message_id == replying.id and rows["reply"].attachments
    assert db.session.scalars(select(Suppression.email)).all() == [hard.to_email]
    assert db.session.get(Message, hard.id).status == "bounced"


def test_a_mail_stored_but_not_moved_before_a_crash_is_moved_and_not_stored_again(
    app,
    dovecot,
    recruiting,
    monkeypatch,
):
    org, messages = recruiting
    box = mailbox(org, dovecot)
    dovecot.deliver(sample("postfix_hard", **fill(messages[0], app)))
    monkeypatch.setattr(imap, "_move", lambda *args: (_ for _ in ()).throw(OSError("crash")))
    assert poll_mailboxes() == 0  # stored, then the move failed
    assert len(db.session.scalars(select(InboundMail)).all()) == 1
    assert len(dovecot.folder("INBOX")) == 1  # still there: never deleted
    monkeypatch.undo()
    assert poll_mailboxes() == 0  # recognized, moved, not stored again
    assert len(db.session.scalars(select(InboundMail)).all()) == 1
    assert dovecot.folder("INBOX") == [] and len(dovecot.folder("Herald.Processed")) == 1
    db.session.expire_all()
    assert db.session.get(InboundMailbox, box.id).last_error == ""


def test_a_wrong_password_is_reported_on_the_settings_page(app, dovecot, org, logged_in):
    mailbox(org, dovecot, password="wrong-password")
    dovecot.deliver(b"Subject: hello\r\n\r\nhi\r\n")
    assert poll_mailboxes() == 0
    page = logged_in.get("/settings/inbound").get_data(as_text=True)
    assert "cannot log in to 127.0.0.1" in page
    assert len(dovecot.folder("INBOX")) == 1
