"""The breakdowns by recipient domain and by link come from hourly rollups written where the
facts happen (the recorder, the event drain, erasure): they give the numbers a direct count
over messages and events gives, and the migration's backfill and ``rebuild`` give the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import case, func, select

from jobs import sending
from tests.test_migrations import MIGRATIONS, _targets
from tests.test_tracking_helpers import run_drain
from webapp import create_app
from webapp.extensions import db
from webapp.models import (
    DomainRollup,
    LinkRollup,
    Message,
    MessageEvent,
    Organization,
    utcnow,
)
from webapp.redis_client import get_redis
from webapp.services import events
from webapp.services.audience.candidates import erase_candidate
from webapp.services.sending import recorder
from webapp.services.sending.outbox import create_message
from webapp.services.stats import breakdowns
from webapp.services.tracking import domain_rollups, link_rollups, rollups
from webapp.services.tracking.bursts import REASON

APPLY = "https://jobs.example.com/apply"
ABOUT = "https://example.com/about"
LONG = "https://example.com/" + "é" * 600  # 1,220 bytes: its key is cut short


def direct_domains(org_id, start, end) -> list[dict]:
    """What the breakdown counted before the rollups: the messages sent in the range."""
    domain = func.lower(func.substr(Message.to_email, func.instr(Message.to_email, "@") + 1))
    if db.engine.dialect.name == "postgresql":
        domain = func.lower(func.split_part(Message.to_email, "@", 2))
    domain = domain.label("domain")
    rows = db.session.execute(
        select(
            domain,
            func.count(),
            func.count(Message.delivered_at),
            func.count(Message.bounced_at),
            func.count(Message.complained_at),
            func.count(Message.opened_at),
            func.count(Message.clicked_at),
        )
        .where(Message.org_id == org_id, Message.sent_at >= start, Message.sent_at < end)
        .group_by(domain)
        .order_by(func.count().desc(), domain)
    )
    keys = ("domain", "sent", "delivered", "bounced", "complained", "opened", "clicked")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def direct_links(org_id, start, end) -> list[dict]:
    """Clicks in the range per URL; messages: those whose first click on it is in the range."""
    clicks = (MessageEvent.org_id == org_id, MessageEvent.type == "clicked")
    firsts = (
        select(MessageEvent.url, func.min(MessageEvent.occurred_at).label("at"))
        .where(*clicks, MessageEvent.url.is_not(None))
        .group_by(MessageEvent.message_id, MessageEvent.url)
        .subquery()
    )
    first_counts = dict(
        db.session.execute(
            select(firsts.c.url, func.count())
            .where(firsts.c.at >= start, firsts.c.at < end)
            .group_by(firsts.c.url)
        ).all()
    )
    total = func.count().label("total")
    rows = db.session.execute(
        select(
            MessageEvent.url,
            total,
            func.sum(case((MessageEvent.is_machine.is_(False), 1), else_=0)),
        )
        .where(*clicks, MessageEvent.occurred_at >= start, MessageEvent.occurred_at < end)
        .where(MessageEvent.url.is_not(None))
        .group_by(MessageEvent.url)
        .order_by(total.desc(), MessageEvent.url)
    )
    return [
        {"url": url, "total": n, "human": int(human), "messages": first_counts.get(url, 0)}
        for url, n, human in rows
    ]


def distinct_clickers(org_id, start, end) -> dict[str, int]:
    rows = db.session.execute(
        select(MessageEvent.url, func.count(func.distinct(MessageEvent.message_id)))
        .where(MessageEvent.org_id == org_id, MessageEvent.type == "clicked")
        .where(MessageEvent.occurred_at >= start, MessageEvent.occurred_at < end)
        .group_by(MessageEvent.url)
    )
    return dict(rows.all())


def rollup_rows() -> tuple[list, list]:
    domains = db.session.execute(
        select(DomainRollup.org_id, DomainRollup.hour, DomainRollup.domain, DomainRollup.sent)
        .add_columns(DomainRollup.delivered, DomainRollup.bounced, DomainRollup.complained)
        .add_columns(DomainRollup.opened, DomainRollup.clicked)
        .order_by(DomainRollup.hour, DomainRollup.domain)
    ).all()
    links = db.session.execute(
        select(LinkRollup.org_id, LinkRollup.hour, LinkRollup.url, LinkRollup.clicks)
        .add_columns(LinkRollup.human_clicks, LinkRollup.messages)
        .where(LinkRollup.clicks != 0)
        .order_by(LinkRollup.hour, LinkRollup.url)
    ).all()
    return [tuple(r) for r in domains if any(r[3:])], [tuple(r) for r in links]


def push(message_id, org, kind, at, **fields):
    events.push_event(
        get_redis(), org_id=org.id, message_id=message_id, type=kind, occurred_at=at, **fields
    )


def send(org, to, monkeypatch, at=None):
    message = create_message(org.id, to_email=to, raw_subject="Hello", raw_html="<p>Hi</p>")
    db.session.commit()
    with monkeypatch.context() as patch:
        if at is not None:
            patch.setattr(recorder, "utcnow", lambda: at)
        sending.send_message(str(message.id))
    return message.id


def assert_same(org, start, end):
    assert breakdowns.by_domain(org.id, start, end) == direct_domains(org.id, start, end)
    assert breakdowns.top_links(org.id, start, end) == direct_links(org.id, start, end)


@pytest.fixture
def story(smtp_server, app_settings, monkeypatch, request):
    """Four messages sent through the pipeline (one three hours earlier), then provider
    reports, opens and clicks over several hours and drains."""
    org = request.getfixturevalue("org")  # after smtp_server: the app must know its port
    now = rollups.hour_of(utcnow())
    earlier = now - timedelta(hours=3) + timedelta(minutes=20)
    ada = send(org, "ada@gmail.com", monkeypatch)
    bob = send(org, "bob@Gmail.com", monkeypatch)
    cy = send(org, "cy@outlook.com", monkeypatch, at=earlier)
    dee = send(org, "dee@example.org", monkeypatch)
    run_drain()  # the "sent" events
    hour = timedelta(hours=1)
    for message_id in (ada, bob, cy):
        push(message_id, org, "delivered", now, source="sendgrid")
    push(bob, org, "complained", now + hour, source="sendgrid")
    push(ada, org, "opened", now + hour)
    push(ada, org, "opened", now + 2 * hour)
    push(bob, org, "opened", now + hour, is_machine=True, machine_reason="apple_mpp")
    push(ada, org, "clicked", now + hour, url=APPLY)
    push(dee, org, "clicked", now + 4 * hour, url=APPLY)
    run_drain()
    push(cy, org, "bounced", now + hour, source="sendgrid", data={"bounce_type": "hard"})
    push(ada, org, "clicked", now + 3 * hour, url=APPLY)  # again, later
    push(bob, org, "clicked", now + 2 * hour, url=APPLY, is_machine=True, machine_reason="head")
    push(ada, org, "clicked", now + 5 * hour, url=ABOUT)
    push(dee, org, "clicked", now + hour + timedelta(minutes=30), url=APPLY)  # out of order
    run_drain()
    return {"org": org, "now": now, "ada": ada, "bob": bob, "cy": cy, "dee": dee}


def test_breakdowns_equal_a_direct_count(story, org):
    now, hour = story["now"], timedelta(hours=1)
    start, end = now - 4 * hour, now + 6 * hour
    assert_same(org, start, end)
    domains = breakdowns.by_domain(org.id, start, end)
    assert domains[0] == {
        "domain": "gmail.com",
        "sent": 2,
        "delivered": 2,
        "bounced": 0,
        "complained": 1,
        "opened": 1,
        "clicked": 1,
    }
    outlook = next(row for row in domains if row["domain"] == "outlook.com")
    assert (outlook["delivered"], outlook["bounced"]) == (1, 1)  # bounced after delivery
    links = breakdowns.top_links(org.id, start, end)
    assert links[0] == {"url": APPLY, "total": 5, "human": 4, "messages": 3}
    assert distinct_clickers(org.id, start, end)[APPLY] == 3  # over everything: the same
    for sub in [(now, now + hour), (now - 3 * hour, now), (now + 2 * hour, now + 4 * hour)]:
        assert_same(org, *sub)
    # dee's first click on APPLY is the late-arriving one at +1:30, not the one at +4:00
    assert breakdowns.top_links(org.id, now + 4 * hour, now + 5 * hour) == [
        {"url": APPLY, "total": 1, "human": 1, "messages": 0}
    ]


def test_a_link_burst_takes_clicks_off_people(story, org):
    now, ada = story["now"], story["ada"]
    burst_at = now + 5 * timedelta(hours=1) + timedelta(seconds=3)
    push(ada, org, "clicked", burst_at, url=APPLY, is_machine=True, machine_reason=REASON)
    run_drain()
    start, end = now - timedelta(hours=4), now + timedelta(hours=6)
    assert_same(org, start, end)
    about = next(r for r in breakdowns.top_links(org.id, start, end) if r["url"] == ABOUT)
    assert about["human"] == 0
    gmail = breakdowns.by_domain(org.id, start, end)[0]
    assert gmail["clicked"] == 1  # ada's first click (+1:00) was long before the burst


def test_rebuild_gives_what_was_written(story, org):
    written = rollup_rows()
    assert written[0] and written[1]
    domain_rollups.rebuild(org.id)
    link_rollups.rebuild(org.id)
    db.session.commit()
    assert rollup_rows() == written


def test_erasure_moves_the_message_to_the_placeholder_domain(story, org):
    from tests.support import factories

    candidate = factories.make_candidate(org, "cy@outlook.com")
    erase_candidate(candidate)
    db.session.commit()
    now = story["now"]
    assert_same(org, now - timedelta(hours=4), now + timedelta(hours=6))
    domains = [r["domain"] for r in breakdowns.by_domain(org.id, now - timedelta(hours=4), now)]
    assert domains == ["erased.invalid"]


def test_the_migration_backfills_what_rebuild_writes(tmp_path, app_settings):
    at = datetime(2026, 3, 10, 12, 15, tzinfo=UTC)
    for _dialect, url in _targets(tmp_path):
        app = create_app({**app_settings, "database_url": url})
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="0013")
            org = Organization(name="Backfill", slug="backfill")
            db.session.add(org)
            db.session.flush()
            messages = []
            for n, email in enumerate(["a@gmail.com", "b@GMAIL.com", "c@outlook.com"]):
                message = Message(
                    org_id=org.id,
                    to_email=email,
                    status="delivered",
                    send_after=at,
                    sent_at=at + timedelta(hours=n),
                    delivered_at=at + timedelta(hours=n),
                    opened_at=at if n == 0 else None,
                )
                messages.append(message)
            messages.append(Message(org_id=org.id, to_email="d@x.org", send_after=at))
            db.session.add_all(messages)
            db.session.flush()
            clicks = [(0, APPLY, False), (0, APPLY, False), (1, APPLY, True), (1, ABOUT, False)]
            for n, (message, link, machine) in enumerate([*clicks, (2, LONG, False)]):
                db.session.add(
                    MessageEvent(
                        org_id=org.id,
                        message_id=messages[message].id,
                        type="clicked",
                        occurred_at=at + timedelta(minutes=50 * n),
                        event_key=f"backfill-{n}",
                        url=link,
                        is_machine=machine,
                    )
                )
            db.session.commit()
            upgrade(directory=MIGRATIONS)
            backfilled = rollup_rows()
            start, end = at - timedelta(hours=1), at + timedelta(hours=5)
            assert breakdowns.by_domain(org.id, start, end) == direct_domains(org.id, start, end)
            links = breakdowns.top_links(org.id, start, end)
            assert links[:2] == direct_links(org.id, start, end)[:2]
            assert links[-1]["url"] == LONG[: link_rollups.SHORT_CHARS] + "…"
            domain_rollups.rebuild()
            link_rollups.rebuild()
            db.session.commit()
            assert rollup_rows() == backfilled and len(backfilled[1]) == 4
            db.session.remove()
            db.engine.dispose()
