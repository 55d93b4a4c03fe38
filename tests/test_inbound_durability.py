"""Nothing incoming is lost: mail is stored before 250 even when Redis is down (the sweeper
starts processing later), a mail that cannot be processed stays stored with its error and
does not hold the others back, and rows of a job that died are handed back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from jobs.inbound import process_inbound, sweep_inbound
from tests.support.inbound import InboundProcess, fill, free_port, process_env, sample
from webapp.extensions import db
from webapp.models import InboundMail, Suppression, utcnow
from webapp.services.inbound import processing
from webapp.services.queues import get_queue


def store(raw: bytes, rcpt: str) -> InboundMail:
    row = InboundMail(source="smtp", mail_from="", rcpt_to=[rcpt], raw=raw, size=len(raw))
    db.session.add(row)
    db.session.commit()
    return row


def test_mail_is_stored_and_accepted_while_redis_is_down_then_swept(
    app,
    app_settings,
    tmp_path,
    recruiting,
):
    from tests.conftest import ALLOWED_SMTP

    _org, messages = recruiting
    env = process_env(app, app_settings)
    env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    inbound = InboundProcess(env, tmp_path / "inbound.log").start()
    ALLOWED_SMTP.add(("127.0.0.1", inbound.port))
    try:
        values = fill(messages[0], app)
        with inbound.smtp() as client:
            assert client.sendmail("", [values["verp"]], sample("postfix_hard", **values)) == {}
    finally:
        ALLOWED_SMTP.discard(("127.0.0.1", inbound.port))
        inbound.stop()
    row = db.session.scalars(select(InboundMail)).one()
    assert row.status == "received" and len(get_queue()) == 0
    db.session.execute(
        update(InboundMail).values(created_at=utcnow() - timedelta(minutes=2))
    )  # the sweeper acts on mail older than a minute
    db.session.commit()
    sweep_inbound()
    assert [job.func_name for job in get_queue().jobs] == ["jobs.inbound.process_inbound"]
    assert process_inbound() == {"bounce": 1}
    assert db.session.scalars(select(Suppression.email)).all() == [messages[0].to_email]


def test_a_mail_that_fails_is_kept_with_its_error_and_the_others_go_through(
    app,
    recruiting,
    monkeypatch,
):
    _org, messages = recruiting
    good = [fill(m, app) for m in messages[:2]]
    store(sample("postfix_hard", **good[0]), good[0]["verp"])
    poison = store(b"Subject: POISON\r\n\r\nbreaks the parser\r\n", good[1]["verp"])
    store(sample("gmail_hard", **good[1]), good[1]["verp"])
    original = processing.classify

    def classify(msg, mail_from, purposes):
        if msg["Subject"] == "POISON":
            raise RuntimeError("cannot read this one")
        return original(msg, mail_from, purposes)

    monkeypatch.setattr(processing, "classify", classify)
    assert process_inbound() == {"bounce": 2}
    db.session.expire_all()
    kept = db.session.get(InboundMail, poison.id)
    assert (kept.status, kept.attempts) == ("received", 1)
    assert "cannot read this one" in kept.error and kept.raw.startswith(b"Subject: POISON")
    assert len(db.session.scalars(select(Suppression)).all()) == 2
    for _ in range(4):  # retried a minute later each time, then given up on
        db.session.execute(
            update(InboundMail)
            .where(InboundMail.id == poison.id)
            .values(claimed_at=utcnow() - timedelta(minutes=2))
        )
        db.session.commit()
        with pytest.raises(RuntimeError):
            process_inbound()
    db.session.expire_all()
    assert db.session.get(InboundMail, poison.id).status == "failed"  # stops retrying, kept


def test_rows_a_dead_job_claimed_are_handed_back_by_the_sweeper(app, recruiting):
    _org, messages = recruiting
    values = fill(messages[0], app)
    row = store(sample("postfix_hard", **values), values["verp"])
    db.session.execute(
        update(InboundMail).values(status="processing", claimed_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()
    assert process_inbound() == {}  # claimed by a job that died: nobody else takes it…
    assert sweep_inbound() == 1  # …until the sweeper hands it back
    assert process_inbound() == {"bounce": 1}
    db.session.expire_all()
    assert db.session.get(InboundMail, row.id).status == "processed"


@pytest.mark.parametrize("name", ["postfix_hard", "arf_abuse"])
def test_processing_the_same_mail_twice_acts_once(app, recruiting, name):
    _org, messages = recruiting
    values = fill(messages[0], app)
    rcpt = values["feedback"] if name == "arf_abuse" else values["verp"]
    row = store(sample(name, **values), rcpt)
    assert process_inbound() != {}
    db.session.execute(update(InboundMail).values(status="received", claimed_at=None))  # again
    db.session.commit()
    process_inbound()
    redis = app.extensions["herald.redis"]
    pushed = redis.lrange("herald:events", 0, -1)
    assert len(pushed) == 2 and len(set(pushed)) <= 2  # same event id both times
    from webapp.services.tracking.drain import drain

    assert drain(redis).stored == 1
    assert len(db.session.scalars(select(Suppression)).all()) == 1
    assert db.session.get(InboundMail, row.id).kind in ("bounce", "complaint")


def test_a_reply_counts_as_replied_on_the_stats_page(app, recruiting, logged_in):
    import re

    from webapp.services.tracking.drain import drain

    _org, messages = recruiting
    values = fill(messages[4], app)
    store(sample("reply_attachment", **values), values["reply"])
    store(sample("ooo_rfc3834", **fill(messages[3], app)), fill(messages[3], app)["reply"])
    assert process_inbound() == {"reply": 1, "autoreply": 1}
    drain(app.extensions["herald.redis"])
    page = logged_in.get("/stats/").get_data(as_text=True)
    kpi = page.split('data-kpi="replied"', 1)[1].split("</div>", 3)
    assert "Replied" in kpi[0] + kpi[1]
    assert re.search(r'class="value">\s*1\s*<', "</div>".join(kpi[1:3]))


def test_old_reports_are_purged_but_replies_and_unprocessed_mail_stay(app, recruiting):
    from jobs.inbound import purge_inbound

    _org, messages = recruiting
    values = [fill(m, app) for m in messages]
    bounce = store(sample("postfix_hard", **values[0]), values[0]["verp"]).id
    reply = store(sample("reply_attachment", **values[4]), values[4]["reply"]).id
    process_inbound()
    waiting = store(sample("postfix_hard", **values[1]), values[1]["verp"]).id
    db.session.execute(update(InboundMail).values(created_at=utcnow() - timedelta(days=91)))
    db.session.commit()
    assert purge_inbound() == 1
    left = set(db.session.scalars(select(InboundMail.id)))
    assert left == {reply, waiting} and bounce not in left
    assert db.session.scalars(select(Suppression.email)).all() == [messages[0].to_email]
