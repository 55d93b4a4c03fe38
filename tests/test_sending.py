"""The sending pipeline against a real SMTP server: headers (C1, C9), DKIM (C2), SMTP outcomes
(S1-S5) and relay failover with a circuit breaker (S6)."""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import timedelta

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from jobs import sending
from tests.conftest import ALLOWED_SMTP
from tests.support.smtp import DROP, TestSMTPServer
from webapp.extensions import db
from webapp.models import AuditLog, DeliveryAttempt, Message, Relay, SendingDomain, utcnow
from webapp.services import crypto
from webapp.services.consent.suppressions import is_suppressed
from webapp.services.sending import circuit
from webapp.services.sending.outbox import create_message


@pytest.fixture
def fast_retries(app_settings):
    app_settings.update(retry_base_seconds=10, retry_max_delay_seconds=60)
    return app_settings


def make_message(org, to="ada@example.com", **fields):
    fields.setdefault("raw_subject", "Your interview")
    fields.setdefault("raw_html", "<p>Hello <b>Ada</b>, see you on Monday.</p>")
    message = create_message(org.id, to_email=to, **fields)
    db.session.commit()
    return message


def reload(message) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message.id)


def parsed(received):
    return email.message_from_bytes(received.data, policy=email.policy.default)


def test_transactional_message_arrives_with_compliance_headers(smtp_server, app, org):
    message = make_message(org)
    sending.send_message(str(message.id))

    assert len(smtp_server.received) == 1
    mail = parsed(smtp_server.received[0])
    assert mail["Subject"] == "Your interview"
    assert mail["Message-ID"] == f"<{message.id}@example.com>"  # C9: never @localhost
    unsubscribe = mail.get_all("List-Unsubscribe")
    assert len(unsubscribe) == 1 and unsubscribe[0].startswith("<http")  # C1
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["X-Herald-Message-Id"] == str(message.id)
    assert mail.get_content_type() == "multipart/alternative"
    assert "see you on Monday" in mail.get_body(("plain",)).get_content()
    row = reload(message)
    assert row.status == "sent" and row.sent_at is not None
    assert row.message_id_header == f"<{message.id}@example.com>"
    attempt = db.session.scalars(select(DeliveryAttempt)).one()
    assert (attempt.outcome, attempt.smtp_code, attempt.relay_name) == ("sent", 250, "default")


def test_running_a_send_job_twice_delivers_once(smtp_server, app, org):
    message = make_message(org)
    sending.send_message(str(message.id))
    sending.send_message(str(message.id))
    assert len(smtp_server.received) == 1


def _dkim_domain(org) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    db.session.add(
        SendingDomain(
            org_id=org.id,
            domain="example.com",
            dkim_selector="herald",
            dkim_private_key_encrypted=crypto.encrypt(pem.decode()),
        )
    )
    db.session.commit()
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_dkim_signature_verifies_on_the_received_bytes(smtp_server, app, org):
    record = _dkim_domain(org)
    make_message(org, raw_html="<p>.leading dot line</p>\n<p>Caf\u00e9 \u2013 na\u00efve</p>")
    sending.dispatch_due()
    sending.send_batch([str(m.id) for m in db.session.scalars(select(Message))])

    data = smtp_server.received[0].data
    assert dkim.verify(data, dnsfunc=lambda name, timeout=5: record)  # C2
    signature = parsed(smtp_server.received[0])["DKIM-Signature"]
    signed = signature.split("h=")[1].split(";")[0].replace(" ", "").lower().split(":")
    assert "list-unsubscribe" in signed and "list-unsubscribe-post" in signed  # C1


def test_4xx_defers_with_backoff_and_does_not_suppress(smtp_server, fast_retries, app, org):
    smtp_server.handler.default_reply = "451 4.3.0 Mailbox busy, try later"
    message = make_message(org)
    before = utcnow()
    sending.send_message(str(message.id))

    row = reload(message)
    assert row.status == "deferred"  # S1
    assert row.last_smtp_code == 451 and "try later" in row.last_error
    assert before + timedelta(seconds=4) < row.send_after < before + timedelta(seconds=12)
    assert not is_suppressed(org.id, "ada@example.com")
    assert smtp_server.received == []


def test_deferred_message_is_sent_when_due_with_the_same_message_id(
    smtp_server, fast_retries, app, org
):
    smtp_server.handler.script = ["421 4.7.0 Too busy"]
    message = make_message(org)
    sending.send_message(str(message.id))
    row = reload(message)
    assert row.status == "deferred"
    row.send_after = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert sending.dispatch_due() == 1
    sending.send_message(str(message.id))
    row = reload(message)
    assert row.status == "sent" and row.attempts == 2
    assert smtp_server.message_ids() == [f"<{message.id}@example.com>"]
    assert [a.outcome for a in row.attempts_log] == ["deferred", "sent"]


def test_no_such_mailbox_bounces_and_suppresses(smtp_server, app, org):
    smtp_server.handler.rules["gone@example.com"] = "550 5.1.1 No such user here"
    message = make_message(org, to="gone@example.com")
    sending.send_message(str(message.id))

    row = reload(message)
    assert row.status == "bounced" and row.bounced_at is not None  # S2
    assert is_suppressed(org.id, "gone@example.com")
    later = make_message(org, to="gone@example.com")
    sending.send_message(str(later.id))
    assert reload(later).status == "suppressed"
    assert len(smtp_server.handler.log) == 1  # the second one never reached SMTP


def test_policy_rejection_fails_without_suppressing_and_alerts(smtp_server, app, org):
    smtp_server.handler.default_reply = "550 5.7.1 Message rejected by policy"
    message = make_message(org)
    sending.send_message(str(message.id))

    row = reload(message)
    assert row.status == "failed" and row.last_smtp_code == 550  # S3
    assert "5.7.1" in row.last_error
    assert not is_suppressed(org.id, "ada@example.com")
    alert = db.session.scalars(select(AuditLog)).one()
    assert alert.action == "sending.policy_rejection"


def test_connection_lost_after_data_bulk_is_unknown_and_not_resent(smtp_server, app, org):
    smtp_server.handler.default_reply = DROP
    message = make_message(org, is_transactional=False, category="newsletter")
    sending.send_batch([str(message.id)])

    row = reload(message)
    assert row.status == "unknown"  # S4, bulk: at most once
    assert sending.dispatch_due() == 0
    assert len(smtp_server.handler.dropped) == 1


def test_connection_lost_after_data_transactional_is_retried_same_id(
    smtp_server, fast_retries, app, org
):
    smtp_server.handler.script = [DROP]
    message = make_message(org)
    sending.send_message(str(message.id))
    row = reload(message)
    assert row.status == "deferred"  # S4, transactional: at least once
    row.send_after = utcnow()
    db.session.commit()
    sending.dispatch_due()
    sending.send_message(str(message.id))

    dropped_id = smtp_server.handler.dropped[0].message_id
    assert smtp_server.message_ids() == [dropped_id] == [f"<{message.id}@example.com>"]


def test_spent_retry_budget_fails_with_the_last_reply(smtp_server, app_settings, app, org):
    app.config["HERALD"].retry_max_attempts = 2
    smtp_server.handler.default_reply = "452 4.2.2 Mailbox full"
    message = make_message(org)
    for _ in range(2):
        sending.send_message(str(message.id))
        row = reload(message)
        row.send_after = utcnow()
        db.session.commit()
        sending.dispatch_due()

    row = reload(message)
    assert row.status == "failed" and row.failed_at is not None  # S5
    assert row.last_error == "452 4.2.2 Mailbox full"
    assert len(row.attempts_log) == 2


def _relay(org, name, port, priority):
    relay = Relay(
        org_id=org.id, name=name, host="127.0.0.1", port=port, security="none", priority=priority
    )
    db.session.add(relay)
    return relay


def test_failing_relay_opens_its_circuit_and_the_next_relay_is_used(app_settings):
    from tests.support.smtp import free_port
    from webapp import create_app

    backup = TestSMTPServer()
    backup.start()
    dead_port = free_port()  # nothing listens there
    ALLOWED_SMTP.update({("127.0.0.1", backup.port), ("127.0.0.1", dead_port)})
    app_settings.update(circuit_failures=2, circuit_cooldown_seconds=1)
    app = create_app(app_settings)
    try:
        with app.app_context():
            _run_failover(app, backup, dead_port)
    finally:
        backup.stop()
        with app.app_context():
            from tests.conftest import _empty_tables

            _empty_tables()
            app.extensions["herald.redis"].flushdb()


def _run_failover(app, backup, dead_port):
    import time

    from tests.support import factories

    org = factories.make_org("Failover Inc")
    primary = _relay(org, "primary", dead_port, 1)
    _relay(org, "backup", backup.port, 2)
    db.session.commit()
    conn = app.extensions["herald.redis"]
    for n in range(3):
        message = make_message(org, to=f"c{n}@example.com")
        sending.send_message(str(message.id))
        assert reload(message).relay_name == "backup"
    assert len(backup.received) == 3
    assert circuit.state(conn, str(primary.id)) == "open"  # S6: skipped while open
    time.sleep(1.1)
    assert circuit.state(conn, str(primary.id)) == "half-open"

    revived = TestSMTPServer()
    revived.port = dead_port  # the primary comes back on its address
    revived.start()
    try:
        message = make_message(org, to="after@example.com")
        sending.send_message(str(message.id))  # this send is the probe
        assert reload(message).relay_name == "primary"
        assert circuit.state(conn, str(primary.id)) == "closed"  # it takes traffic back
        assert len(revived.received) == 1 and len(backup.received) == 3
    finally:
        revived.stop()


def test_template_message_is_composed_with_tracking_and_recorded(smtp_server, app, org):
    message = create_message(
        org.id, to_email="ada@example.com", to_name="Ada", kind="follow_up", context={}
    )
    db.session.commit()
    sending.send_message(str(message.id))

    row = reload(message)
    assert row.status == "sent", row.last_error
    mail = parsed(smtp_server.received[0])
    assert row.subject and mail["Subject"] == row.subject  # rendered by the template studio
    assert row.links  # the tracked links are kept for the click redirect
    assert "/t/o/" in mail.get_body(("html",)).get_content()  # open pixel


def test_outcomes_reach_the_event_stream_and_outgoing_webhooks(smtp_server, app, org):
    import json

    from webapp.models import WebhookDelivery, WebhookEndpoint
    from webapp.services.events import EVENTS_KEY

    db.session.add(
        WebhookEndpoint(org_id=org.id, url="https://hooks.example.com/h", secret_encrypted="x")
    )
    smtp_server.handler.rules["gone@example.com"] = "550 5.1.1 No such user"
    sent = make_message(org)
    bounced = make_message(org, to="gone@example.com")
    sending.send_batch([str(sent.id), str(bounced.id)])

    conn = app.extensions["herald.redis"]
    events = [json.loads(raw) for raw in conn.lrange(EVENTS_KEY, 0, -1)]
    assert {(e["message_id"], e["type"], e["source"]) for e in events} == {
        (str(sent.id), "sent", "smtp"),
        (str(bounced.id), "bounced", "smtp"),
    }
    kinds = sorted(db.session.scalars(select(WebhookDelivery.event_type)))
    assert kinds == ["message.bounced", "message.sent"]


def test_logs_never_carry_an_address(smtp_server, app, org, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    smtp_server.handler.rules["gone@example.com"] = "550 5.1.1 No such user"
    smtp_server.handler.rules["blocked@example.com"] = "550 5.7.1 Blocked"
    ids = [make_message(org, to=to).id for to in ("ada@example.com", "gone@example.com")]
    ids.append(make_message(org, to="blocked@example.com").id)
    sending.send_batch([str(i) for i in ids])
    sending.sweep()
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("webapp", "jobs", "rq")]
    assert ours  # the pipeline did log (the test server's own log is not Herald's)
    assert not [r.getMessage() for r in ours if "@" in r.getMessage()]  # P6


def test_sweeper_rule_for_expired_leases(app, org):
    from sqlalchemy import update

    from webapp.services.sending import claiming, marks

    conn = app.extensions["herald.redis"]
    rows = {
        "tx": make_message(org, to="tx@example.com"),
        "tx_spent": make_message(org, to="spent@example.com"),
        "bulk_handed": make_message(org, to="b1@example.com", is_transactional=False),
        "bulk_untouched": make_message(org, to="b2@example.com", is_transactional=False),
        "bulk_accepted": make_message(org, to="b3@example.com", is_transactional=False),
        "tx_accepted": make_message(org, to="tx2@example.com"),
        "bulk_deferred": make_message(org, to="b4@example.com", is_transactional=False),
    }
    now = utcnow()
    claims = {
        c.id: c.mark
        for c in claiming.claim([m.id for m in rows.values()], lease_seconds=1, now=now)
    }
    mark = {name: claims[m.id] for name, m in rows.items()}
    marks.mark_claimed(conn, [mark["bulk_untouched"]])
    marks.hand_over(conn, None, (mark["bulk_accepted"], 250))
    marks.hand_over(conn, None, (mark["tx_accepted"], 250))
    marks.hand_over(conn, None, (mark["bulk_deferred"], 451))
    db.session.execute(update(Message).where(Message.id == rows["tx_spent"].id).values(attempts=5))
    db.session.commit()
    later = now + timedelta(seconds=2)
    fate = claiming.expired_leases(conn, later, 100, max_attempts=5)
    db.session.commit()

    states = {name: reload(m).status for name, m in rows.items()}
    assert states == {
        "tx": "queued",  # at least once, same Message-ID
        "tx_spent": "failed",  # not forever
        "bulk_handed": "unknown",  # at most once: a person decides
        "bulk_untouched": "queued",  # never reached SMTP: safe to send
        "bulk_accepted": "sent",  # the server said 250 before the worker died
        "tx_accepted": "sent",  # not sent twice either
        "bulk_deferred": "queued",  # the server refused it: sending again is no duplicate
    }
    assert {name: len(ids) for name, ids in fate.items()} == {
        "sent": 2,
        "requeued": 3,
        "unknown": 1,
        "failed": 1,
    }
    assert conn.scard(marks.CLAIMED_KEY) == 0 and conn.hlen(marks.REPLIED_KEY) == 0
