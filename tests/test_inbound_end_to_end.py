"""End to end: Herald sends (a real worker process) through a relay that accepts the message
and later finds the mailbox does not exist, so it sends a genuine RFC 3464 DSN to the
message's VERP return path, which is a running ``herald inbound``. The address ends up
suppressed and the diagnostic is on the message page."""

from __future__ import annotations

import smtplib
import threading
import time
from email.parser import BytesHeaderParser

import pytest
from sqlalchemy import select

from tests.support.inbound import InboundProcess, process_env
from tests.support.smtp import TestSMTPServer
from tests.test_worker import run_burst
from webapp.extensions import db
from webapp.models import InboundMail, Message, Suppression
from webapp.services.inbound import addresses
from webapp.services.sending import outbox
from webapp.services.tracking.drain import drain

DIAGNOSTIC = "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown"


def dsn_for(original: bytes, mail_from: str, recipient: str) -> bytes:
    """What Postfix writes when a queued message cannot be delivered (RFC 3464)."""
    headers = BytesHeaderParser().parsebytes(original)
    returned = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    text = (
        "From: MAILER-DAEMON@relay.test (Mail Delivery System)\r\n"
        f"To: {mail_from}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n\r\n'
        "--B1\r\nContent-Type: text/plain\r\n\r\n"
        f"<{recipient}>: host mx.example.org said: {DIAGNOSTIC}\r\n\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; relay.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Remote-MTA: dns; mx.example.org\r\nDiagnostic-Code: smtp; {DIAGNOSTIC}\r\n\r\n"
        "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{returned}\r\n--B1--\r\n"
    )
    return text.encode()


class BouncingRelay:
    """An aiosmtpd relay that answers 250, then bounces the mail to its return path."""

    def __init__(self, inbound_port: int):
        self.inbound_port = inbound_port
        self.accepted: list[tuple[str, bytes]] = []
        self.bounced: list[str] = []
        self.bounce = True

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        self.accepted.append((envelope.mail_from, data))
        if not self.bounce:
            return "250 2.0.0 Ok: queued as 4B2C2"
        threading.Thread(
            target=self._bounce, args=(envelope.mail_from, envelope.rcpt_tos[0], data)
        ).start()
        return "250 2.0.0 Ok: queued as 4B2C1"

    def _bounce(self, mail_from: str, recipient: str, data: bytes) -> None:
        time.sleep(0.2)  # later, from the relay's queue
        with smtplib.SMTP("127.0.0.1", self.inbound_port, timeout=30) as client:
            client.sendmail("", [mail_from], dsn_for(data, mail_from, recipient))
        self.bounced.append(mail_from)


@pytest.fixture
def setup(app, app_settings, tmp_path):
    from tests.conftest import ALLOWED_SMTP

    inbound = InboundProcess(process_env(app, app_settings), tmp_path / "inbound.log")
    relay_handler = BouncingRelay(inbound.port)
    relay = TestSMTPServer(relay_handler)
    relay.start()
    inbound.env.update(HERALD_SMTP_HOST="127.0.0.1", HERALD_SMTP_PORT=str(relay.port))
    inbound.start()
    ALLOWED_SMTP.update({("127.0.0.1", relay.port), ("127.0.0.1", inbound.port)})
    yield inbound, relay_handler
    ALLOWED_SMTP.difference_update({("127.0.0.1", relay.port), ("127.0.0.1", inbound.port)})
    inbound.stop()
    relay.stop()


def wait_for(predicate, timeout: float = 30.0, what: str = "it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see what other processes committed
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_late_bounce_through_the_relay_suppresses_and_shows_on_the_message_page(
    app, setup, org, logged_in
):
    inbound, relay = setup
    addresses.set_switches(org, return_path=True, replies=False)
    message = outbox.create_message(
        org.id, to_email="gone@example.org", raw_subject="Your interview", raw_text="Hello"
    )
    db.session.commit()

    run_burst(inbound.env)  # a real worker sends it through the relay

    mail_from, data = relay.accepted[0]
    assert mail_from.startswith("bounces+") and mail_from.endswith("@bounces.example.com")
    assert addresses.parse_recipient(mail_from).message_id == message.id
    assert b"Reply-To: reply+" not in data  # replies are off
    wait_for(lambda: relay.bounced, what="the relay's DSN")
    wait_for(lambda: db.session.scalars(select(InboundMail)).first(), what="the stored DSN")

    run_burst(inbound.env)  # processes the DSN
    drain(app.extensions["herald.redis"])
    db.session.expire_all()

    suppression = db.session.scalars(select(Suppression)).one()
    assert (suppression.email, suppression.reason) == ("gone@example.org", "hard_bounce")
    assert db.session.get(Message, message.id).status == "bounced"
    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Hard bounce" in page and "5.1.1" in page
    assert "Recipient address rejected: User unknown" in page
    # and Herald does not mail the address again
    again = outbox.create_message(org.id, to_email="gone@example.org", raw_subject="Again")
    db.session.commit()
    run_burst(inbound.env)
    db.session.expire_all()
    assert db.session.get(Message, again.id).status == "suppressed"
    assert len(relay.accepted) == 1


def test_with_replies_on_the_reply_to_is_a_signed_reply_address(app, setup, org):
    inbound, relay = setup
    relay.bounce = False
    addresses.set_switches(org, return_path=False, replies=True)
    message = outbox.create_message(
        org.id, to_email="someone@example.org", raw_subject="Hello", raw_text="Hello"
    )
    db.session.commit()
    run_burst(inbound.env)
    mail_from, data = relay.accepted[0]
    assert mail_from == "jobs@example.com"  # return path off: the sender as before
    headers = BytesHeaderParser().parsebytes(data)
    reply_to = headers["Reply-To"]
    assert reply_to.startswith("Acme Talent <reply+") and "@replies.example.com>" in reply_to
    address = reply_to.split("<")[1].rstrip(">")
    assert addresses.parse_recipient(address) == addresses.Recipient("reply", message.id)
