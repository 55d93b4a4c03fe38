"""A relay that is down is named with its real error, and an open circuit burns no retries
(issue 14, item 7), with real worker processes, a real SMTP server and a port where nothing
listens: the message's record says "connection refused" with host:port, attempts count only
when a server was tried, and during failover the failed try is on the timeline."""

from __future__ import annotations

from sqlalchemy import select

from jobs.sending import dispatch_due
from tests.support.smtp import free_port
from tests.test_worker import make_due, run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import DeliveryAttempt, Message, Relay
from webapp.services.queues import BULK, TRANSACTIONAL
from webapp.services.sending.outbox import create_message


def _relay(org, name: str, port: int, priority: int) -> Relay:
    relay = Relay(
        org_id=org.id, name=name, host="127.0.0.1", port=port, security="none", priority=priority
    )
    db.session.add(relay)
    return relay


def _message(org) -> Message:
    message = create_message(
        org.id, to_email="ada@example.com", raw_subject="Your interview", raw_html="<p>Hello</p>"
    )
    db.session.commit()
    return message


def _send_again(env, message_id) -> Message:
    make_due([message_id])
    dispatch_due()
    run_burst(env, TRANSACTIONAL, BULK)
    db.session.expire_all()
    return db.session.get(Message, message_id)


def _timeline(message_id) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.message_id == message_id)
        .order_by(DeliveryAttempt.attempted_at)
    )
    return [(a.relay_name, a.outcome, a.smtp_reply) for a in rows]


def test_a_relay_that_is_down_is_named_and_an_open_circuit_burns_no_attempt(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
):
    dead = free_port()
    _relay(org, "Primary", dead, 10)
    message = _message(org)
    worker_env.update(HERALD_CIRCUIT_FAILURES="2", HERALD_CIRCUIT_COOLDOWN_SECONDS="600")

    run_burst(worker_env, TRANSACTIONAL, BULK)
    db.session.expire_all()
    first = db.session.get(Message, message.id)
    assert first.status == "deferred" and first.attempts == 1
    assert f"127.0.0.1:{dead}" in first.last_error and "ConnectionRefused" in first.last_error
    assert _timeline(message.id) == [("Primary", "deferred", first.last_error)]
    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert f"127.0.0.1:{dead}" in page and "no relay available" not in page

    second = _send_again(worker_env, message.id)  # the second failure opens the circuit
    assert second.attempts == 2 and len(_timeline(message.id)) == 2

    third = _send_again(worker_env, message.id)  # circuit open: nothing is tried
    assert third.status == "deferred"
    assert third.attempts == 2, "an open circuit must not use up the retry budget"
    assert len(_timeline(message.id)) == 2
    assert "circuit is open" in third.last_error and f"127.0.0.1:{dead}" in third.last_error
    assert smtp_server.received == []


def test_failover_shows_the_failed_try_on_the_timeline(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
):
    dead = free_port()
    _relay(org, "Primary", dead, 10)
    _relay(org, "Backup", smtp_server.port, 20)
    message = _message(org)

    run_burst(worker_env, TRANSACTIONAL, BULK)
    db.session.expire_all()
    sent = db.session.get(Message, message.id)
    assert sent.status == "sent" and sent.relay_name == "Backup" and sent.attempts == 1
    assert len(smtp_server.received) == 1
    timeline = _timeline(message.id)
    assert [(name, outcome) for name, outcome, _ in timeline] == [
        ("Primary", "deferred"),
        ("Backup", "sent"),
    ]
    assert f"127.0.0.1:{dead}" in timeline[0][2]
    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert page.count("SMTP attempt via") == 2 and f"127.0.0.1:{dead}" in page
