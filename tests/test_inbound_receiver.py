"""Real SMTP sessions to a running ``herald inbound`` process: bounces, a complaint, an
out-of-office, a candidate's reply with an attachment, an unknown address and an oversized
mail; then real worker processes process them, and the suppression list, the message states,
the timeline, the outgoing webhooks and the email forwarded to the recruiter show the result."""

from __future__ import annotations

import json
import smtplib
from email import message_from_bytes

import pytest
from sqlalchemy import select

from tests.support.inbound import InboundProcess, fill, process_env, sample
from tests.test_outgoing_webhooks import Receiver, endpoint_for
from tests.test_worker import run_burst
from webapp.extensions import db
from webapp.models import InboundMail, Message, MessageEvent, Suppression
from webapp.services.queues import get_queue
from webapp.services.tracking.drain import drain

MAX_BYTES = 200_000


@pytest.fixture
def env(app, app_settings, smtp_server):
    return process_env(
        app,
        app_settings,
        HERALD_SMTP_HOST="127.0.0.1",
        HERALD_SMTP_PORT=str(smtp_server.port),
        HERALD_INBOUND_MAX_BYTES=str(MAX_BYTES),
        HERALD_WEBHOOK_ALLOW_PRIVATE="true",
    )


@pytest.fixture
def inbound(env, tmp_path):
    from tests.conftest import ALLOWED_SMTP

    process = InboundProcess(env, tmp_path / "inbound.log").start()
    ALLOWED_SMTP.add(("127.0.0.1", process.port))
    yield process
    ALLOWED_SMTP.discard(("127.0.0.1", process.port))
    process.stop()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


def deliver(inbound: InboundProcess, name: str, rcpt_key: str, values: dict, mail_from: str = ""):
    with inbound.smtp() as client:
        refused = client.sendmail(mail_from, [values[rcpt_key]], sample(name, **values))
    assert refused == {}


def process_everything(env, app) -> None:
    run_burst(env)  # processing jobs, then the forwards they queued
    drain(app.extensions["herald.redis"])
    db.session.commit()
    get_queue().enqueue("jobs.webhooks.deliver_due")  # what the scheduler runs every 10 s
    run_burst(env)  # the webhook deliveries the drain wrote
    db.session.expire_all()


def test_bounces_complaint_out_of_office_and_reply_each_do_what_they_should(
    app, env, inbound, recruiting, receiver, smtp_server
):
    org, (hard, soft, complained, away, replying) = recruiting
    endpoint_for(org, receiver)
    deliver(inbound, "postfix_hard", "verp", fill(hard, app))
    deliver(inbound, "postfix_delayed", "verp", fill(soft, app))
    deliver(inbound, "arf_abuse", "feedback", fill(complained, app), "feedback@arf.mail.yahoo.com")
    deliver(inbound, "ooo_rfc3834", "reply", fill(away, app), away.to_email)
    deliver(inbound, "reply_attachment", "reply", fill(replying, app), replying.to_email)
    stored = db.session.scalars(select(InboundMail)).all()
    assert len(stored) == 5 and all(len(row.raw) > 200 for row in stored)  # stored before 250

    process_everything(env, app)

    suppressed = {s.email: s.reason for s in db.session.scalars(select(Suppression))}
    assert suppressed == {hard.to_email: "hard_bounce", complained.to_email: "complaint"}
    states = {m.id: db.session.get(Message, m.id).status for m in (hard, soft, complained, away)}
    assert states == {
        hard.id: "bounced",
        soft.id: "sent",
        complained.id: "complained",
        away.id: "sent",
    }
    assert "5.1.1" in db.session.get(Message, hard.id).last_error
    events = {
        (e.message_id, e.type, e.data.get("bounce_type"))
        for e in db.session.scalars(select(MessageEvent))
        if e.message_id in {m.id for m in (hard, soft, complained, away, replying)}
    }
    assert events == {
        (hard.id, "bounced", "hard"),
        (soft.id, "bounced", "soft"),
        (complained.id, "complained", None),
        (replying.id, "replied", None),
    }
    kinds = {row.message_id: row.kind for row in db.session.scalars(select(InboundMail))}
    assert kinds[away.id] == "autoreply" and kinds[replying.id] == "reply"

    posted = [json.loads(r["body"]) for r in receiver.received if r.get("valid")]
    by_type = {p["type"]: p["data"] for p in posted}
    assert set(by_type) >= {"message.bounced", "message.complained", "message.replied"}
    hard_hook = next(p["data"] for p in posted if p["data"].get("bounce_type") == "hard")
    assert hard_hook["status"] == "5.1.1" and "User unknown" in hard_hook["diagnostic"]

    forwards = [r for r in smtp_server.received if "recruiter@acme.example" in r.rcpt_tos]
    assert len(forwards) == 1, "one forward, to the campaign's creator; none for the auto-reply"
    forward = message_from_bytes(forwards[0].data)
    assert forward["Reply-To"] == f"Jane Doe <{replying.to_email}>"
    body = forward.get_payload()[0].get_payload(decode=True).decode()
    assert "Candidate: Jane Doe <cand4@example.org>" in body
    assert "Job: Backend Engineer (Berlin)" in body
    assert "Interview: " in body
    assert "Thursday works, but could we do 10:00?" in body
    assert "jane-doe-cv.pdf" in body


def test_unknown_recipients_are_refused_at_rcpt_and_nothing_is_stored(app, inbound, recruiting):
    _org, messages = recruiting
    values = fill(messages[0], app)
    forged = values["verp"].replace("bounces+", "bounces+x", 1)
    for address in ("someone@example.net", "postmaster@bounces.example.com", forged):
        with inbound.smtp() as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("", [address], b"Subject: hi\r\n\r\nhello\r\n")
        assert refused.value.recipients[address][0] == 550
    assert db.session.scalars(select(InboundMail)).all() == []


def test_an_oversized_mail_is_refused_and_not_stored(app, inbound, recruiting):
    _org, messages = recruiting
    values = fill(messages[0], app)
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (MAX_BYTES // 1000 + 10)
    with inbound.smtp() as client:
        client.ehlo()
        client.esmtp_features.pop("size", None)  # a client that ignores SIZE: refused at DATA
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("", [values["verp"]], big)
    assert refused.value.smtp_code == 552
    # a client that reads SIZE is refused before it sends the data
    with inbound.smtp() as client, pytest.raises(smtplib.SMTPSenderRefused) as early:
        client.sendmail("", [values["verp"]], big)
    assert early.value.smtp_code == 552
    assert db.session.scalars(select(InboundMail)).all() == []


def test_connection_and_rate_limits_answer_try_later(app, app_settings, tmp_path, recruiting):
    from tests.conftest import ALLOWED_SMTP

    _org, messages = recruiting
    env = process_env(
        app, app_settings, HERALD_INBOUND_MAX_CONNECTIONS="1", HERALD_INBOUND_RATE_PER_MINUTE="2"
    )
    process = InboundProcess(env, tmp_path / "limits.log").start()
    ALLOWED_SMTP.add(("127.0.0.1", process.port))
    try:
        values = fill(messages[0], app)
        with process.smtp() as first:
            with pytest.raises(smtplib.SMTPConnectError) as busy:
                process.smtp()
            assert busy.value.smtp_code == 421
            for _ in range(2):
                first.sendmail("", [values["verp"]], sample("postfix_hard", **values))
            with pytest.raises(smtplib.SMTPSenderRefused) as slow_down:
                first.sendmail("", [values["verp"]], sample("postfix_hard", **values))
            assert slow_down.value.smtp_code == 451
    finally:
        ALLOWED_SMTP.discard(("127.0.0.1", process.port))
        process.stop()
    assert len(db.session.scalars(select(InboundMail)).all()) == 2
