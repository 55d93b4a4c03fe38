"""The event drain: batches into the database, dedupe, status moves, rollups, DB outage."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from tests.test_tracking_helpers import make_sent_message, run_drain
from webapp.extensions import db
from webapp.models import MessageEvent, StatRollup, WebhookDelivery
from webapp.redis_client import get_redis
from webapp.services import events
from webapp.services.events import EVENTS_KEY
from webapp.services.notify import webhooks as outgoing_webhooks
from webapp.services.tracking.drain import PROCESSING_KEY


def rollup(org, metric: str) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StatRollup.count), 0)).where(
                StatRollup.org_id == org.id, StatRollup.metric == metric
            )
        )
    )


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(MessageEvent))


def push(message, type_, **fields):
    return events.push_event(
        get_redis(), org_id=message.org_id, message_id=message.id, type=type_, **fields
    )


def test_same_event_id_is_stored_once_and_counted_once(app, org):
    message = make_sent_message(org)
    push(message, "opened", event_id="evt-1", user_agent="Mail")
    push(message, "opened", event_id="evt-1", user_agent="Mail")
    run_drain()
    push(message, "opened", event_id="evt-1", user_agent="Mail")  # a later replay
    run_drain()
    db.session.refresh(message)
    assert stored_count() == 1
    assert message.open_count == 1
    assert rollup(org, "opened") == 1 and rollup(org, "opened_unique_human") == 1


def test_unique_and_human_metrics_make_an_exact_funnel(app, org):
    first = make_sent_message(org, "a@example.com")
    second = make_sent_message(org, "b@example.com")
    for message in (first, second):
        push(message, "sent", source="smtp")
        push(message, "delivered", source="sendgrid")
    push(first, "opened", is_machine=True, machine_reason="apple_mpp")
    push(first, "opened")
    push(first, "opened")
    push(second, "opened", is_machine=True, machine_reason="apple_mpp")
    push(first, "clicked", url="https://jobs.example.com/apply")
    run_drain()
    assert rollup(org, "sent") == 2 and rollup(org, "delivered") == 2
    assert rollup(org, "opened") == 4
    assert rollup(org, "opened_human") == 2 and rollup(org, "opened_machine") == 2
    assert rollup(org, "opened_unique") == 2 and rollup(org, "opened_unique_human") == 1
    assert rollup(org, "clicked_unique_human") == 1
    db.session.refresh(first)
    assert first.status == "delivered" and first.delivered_at is not None


def test_provider_reports_move_the_status_but_never_back(app, org):
    message = make_sent_message(org)
    push(message, "complained", source="mailgun")
    push(message, "bounced", source="mailgun", data={"bounce_type": "hard"})
    run_drain()
    push(message, "delivered", source="mailgun")  # late and out of order
    run_drain()
    db.session.refresh(message)
    assert message.status == "complained" and message.complained_at is not None
    assert rollup(org, "complained") == 1 and rollup(org, "bounced_hard") == 1


@pytest.mark.parametrize("failing", ["FROM messages", "INSERT INTO stat_rollups"])
def test_drain_after_a_database_outage_loses_nothing(app, org, failing):
    """The database fails before the batch is written, or halfway through it."""
    message = make_sent_message(org)
    for n in range(30):
        push(message, "opened", event_id=f"open-{n}", user_agent="Mail")

    def database_down(conn, cursor, statement, *args):
        if failing in statement:
            raise OperationalError(statement, {}, Exception("server closed the connection"))

    event.listen(db.engine, "before_cursor_execute", database_down)
    try:
        with pytest.raises(OperationalError):
            run_drain()
    finally:
        event.remove(db.engine, "before_cursor_execute", database_down)
    redis = get_redis()
    assert redis.llen(EVENTS_KEY) + redis.llen(PROCESSING_KEY) == 30  # all still waiting
    assert stored_count() == 0
    for n in range(5):  # some events arrive while the database is away
        push(message, "opened", event_id=f"later-{n}", user_agent="Mail")
    result = run_drain()
    assert result.stored == 35 and stored_count() == 35
    assert redis.llen(EVENTS_KEY) == redis.llen(PROCESSING_KEY) == 0
    db.session.refresh(message)
    assert message.open_count == 35


def test_crash_after_commit_replays_harmlessly(app, org):
    message = make_sent_message(org)
    pushed = [push(message, "opened", user_agent="Mail") for _ in range(3)]
    run_drain()
    # The worker died after the commit but before it cleared the processing list.
    import json

    get_redis().rpush(PROCESSING_KEY, *[json.dumps(e) for e in pushed])
    result = run_drain()
    assert result.read == 3 and result.stored == 0
    db.session.refresh(message)
    assert message.open_count == 3 and rollup(org, "opened") == 3


def test_malformed_and_unknown_message_events_are_dropped(app, org):
    get_redis().rpush(EVENTS_KEY, b"{not json", b'{"id": "x"}')
    ghost = events.make_event(
        org_id=org.id, message_id="0190f0e0-0000-7000-8000-000000000000", type="opened"
    )
    events.push_events(get_redis(), [ghost])
    run_drain()
    assert stored_count() == 0 and get_redis().llen(PROCESSING_KEY) == 0


def test_human_engagement_reaches_outgoing_webhooks_machine_does_not(app, org):
    outgoing_webhooks.create_endpoint(org.id, url="http://127.0.0.1:9/hook")
    db.session.commit()
    message = make_sent_message(org)
    push(message, "opened", is_machine=True, machine_reason="apple_mpp")
    push(message, "opened")
    push(message, "delivered", source="ses")
    run_drain()
    types = sorted(db.session.scalars(select(WebhookDelivery.event_type)))
    assert types == ["message.delivered", "message.opened"]
