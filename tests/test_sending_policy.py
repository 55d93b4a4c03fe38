"""Policy at send time (C6 and issue 4, item 6): suppression, preferences, digests, frequency
cap, quiet hours in the recipient's time zone, paused bulk sending, rate limits -- checked
right before SMTP, so a job queued before the change still obeys it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from jobs import sending
from tests.support import factories
from webapp.extensions import db
from webapp.models import Message, Preference, utcnow
from webapp.services.consent.suppressions import suppress
from webapp.services.sending import policy
from webapp.services.sending.outbox import create_message
from webapp.services.sending.policy import HELD_FOR_DIGEST


def bulk(org, to="ada@example.com", **fields):
    fields.setdefault("category", "invitation")
    message = create_message(
        org.id, to_email=to, raw_subject="Hi", raw_html="<p>x</p>", is_transactional=False, **fields
    )
    db.session.commit()
    return message


def row(message) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message.id)


def test_unsubscribe_after_queueing_stops_the_send(smtp_server, app, org):
    message = bulk(org)  # queued: its job is already in Redis
    suppress(org.id, "Ada@Example.com", "unsubscribed")
    db.session.commit()
    sending.send_batch([str(message.id)])
    assert row(message).status == "suppressed"  # C6
    assert smtp_server.received == []


def test_unsubscribe_does_not_stop_transactional_mail_but_a_bounce_does(smtp_server, app, org):
    suppress(org.id, "ada@example.com", "unsubscribed")
    suppress(org.id, "gone@example.com", "hard_bounce")
    db.session.commit()
    confirm = create_message(org.id, to_email="ada@example.com", raw_subject="Confirmed")
    bounced = create_message(org.id, to_email="gone@example.com", raw_subject="Confirmed")
    db.session.commit()
    sending.send_batch([str(confirm.id), str(bounced.id)])
    assert row(confirm).status == "sent"
    assert row(bounced).status == "suppressed"


def test_category_opt_out_and_digest_hold(smtp_server, app, org):
    db.session.add(
        Preference(
            org_id=org.id,
            email="ada@example.com",
            opted_out_categories=["newsletter"],
            digest_categories=["job_alert"],
            digest_frequency="daily",
        )
    )
    db.session.commit()
    newsletter = bulk(org, category="newsletter")
    alert = bulk(org, category="job_alert")
    invite = bulk(org, category="invitation")
    sending.send_batch([str(m.id) for m in (newsletter, alert, invite)])
    assert row(newsletter).status == "suppressed"
    assert (row(alert).status, row(alert).last_error) == ("suppressed", HELD_FOR_DIGEST)
    assert row(invite).status == "sent"
    assert len(smtp_server.received) == 1


def test_frequency_cap_defers_the_fourth_email_of_the_day(smtp_server, app, org):
    messages = [bulk(org) for _ in range(4)]
    sending.send_batch([str(m.id) for m in messages])
    states = sorted(row(m).status for m in messages)
    assert states == ["deferred", "sent", "sent", "sent"]
    deferred = next(row(m) for m in messages if row(m).status == "deferred")
    assert deferred.send_after > utcnow() + timedelta(hours=23)
    assert "frequency cap of 3" in deferred.last_error
    assert deferred.attempts == 0  # a policy wait is not an attempt


def test_organization_frequency_cap_overrides_the_default(smtp_server, app, org):
    org.frequency_cap = 1
    db.session.commit()
    messages = [bulk(org) for _ in range(2)]
    sending.send_batch([str(m.id) for m in messages])
    assert sorted(row(m).status for m in messages) == ["deferred", "sent"]


def test_quiet_hours_use_the_candidates_time_zone(app, org):
    org.quiet_hours_start, org.quiet_hours_end = 21, 8
    candidate = factories.make_candidate(org, timezone="Asia/Tokyo")
    db.session.commit()
    message = bulk(org, to=candidate.email, candidate_id=candidate.id)
    noon_utc = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo: quiet
    facts = policy.load_facts([row(message)], noon_utc)
    decision = policy.decide(row(message), org, facts, noon_utc, default_cap=3)
    assert decision.action == "defer"
    local = decision.until.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.day, local.hour, local.minute) == (3, 8, 0)  # next morning, 08:00 Tokyo
    morning_utc = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo: fine
    assert policy.decide(row(message), org, facts, morning_utc, 3).action == "send"


def test_quiet_hours_do_not_hold_transactional_mail(smtp_server, app, org):
    org.quiet_hours_start, org.quiet_hours_end = 0, 23
    db.session.commit()
    message = create_message(org.id, to_email="ada@example.com", raw_subject="Your code")
    db.session.commit()
    sending.send_message(str(message.id))
    assert row(message).status == "sent"


def test_paused_bulk_sending_holds_bulk_and_lets_transactional_through(smtp_server, app, org):
    org.bulk_paused_at, org.bulk_paused_reason = utcnow(), "complaint rate 0.4%"
    db.session.commit()
    held = bulk(org)
    urgent = create_message(org.id, to_email="bob@example.com", raw_subject="Confirmed")
    db.session.commit()
    sending.send_batch([str(held.id), str(urgent.id)])
    assert row(held).status == "deferred" and "complaint rate" in row(held).last_error
    assert row(urgent).status == "sent"

    org.bulk_paused_at = None
    db.session.execute(update(Message).values(send_after=utcnow()))
    db.session.commit()
    sending.dispatch_due()
    sending.send_batch([str(held.id)])
    assert row(held).status == "sent"  # nothing was lost while paused


def test_domain_rate_limit_paces_a_batch(app_settings, smtp_server, app, org):
    app.config["HERALD"].domain_rate_per_second = 4.0
    messages = [bulk(org, to=f"c{n}@pace.example", category=f"c{n}") for n in range(6)]
    started = time.monotonic()
    sending.send_batch([str(m.id) for m in messages])
    assert [row(m).status for m in messages] == ["sent"] * 6
    assert time.monotonic() - started >= 0.4  # a burst of 4, then 2 more at 4 a second


def test_domain_rate_limit_defers_beyond_a_short_wait(app_settings, smtp_server, app, org):
    app.config["HERALD"].domain_rate_per_second = 0.2  # one every 5 s
    messages = [bulk(org, to=f"c{n}@slow.example", category=f"c{n}") for n in range(4)]
    started = utcnow()
    sending.send_batch([str(m.id) for m in messages])
    states = [row(m).status for m in messages]
    assert states.count("sent") == 1 and len(smtp_server.received) == 1
    deferred = [row(m) for m in messages if row(m).status == "deferred"]
    assert len(deferred) == 3 and all(m.last_error == "rate limited" for m in deferred)
    assert all(m.send_after > started + timedelta(seconds=2) for m in deferred)
    assert all(m.attempts == 0 for m in deferred)


def test_a_domain_answering_4xx_is_slowed_down(app):
    from webapp.services.sending import limits

    conn = app.extensions["herald.redis"]
    assert limits.slow_level(conn, "busy.example") == 0
    limits.slow_down(conn, "busy.example")
    assert limits.slow_down(conn, "busy.example") == 2
    limiter = limits.Limiter(conn, "org", "relay", limits.Rates(0, 0, 100))
    assert limiter.domain_rate("busy.example") == 25
