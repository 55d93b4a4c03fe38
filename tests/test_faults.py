"""Faults injected from outside into a running installation (REQUIREMENTS Q1, Q2, Q6).

Each test starts gunicorn, two ``herald worker`` and one or two ``herald scheduler`` processes,
a Redis server of its own and a recording SMTP server, sends mail through the HTTP API as an
integrator does, then breaks something the way it breaks in production: FLUSHALL, Redis
stopped for 30 s, a worker or the leading scheduler SIGKILLed. Nothing in here calls the
sweeper, the dispatcher or any other internal; the judges are the SMTP server's log, the API,
``/readyz`` and the database. The timers are shortened through documented settings
(``tests/support/cluster.py``).
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.support.cluster import Cluster, wait_until
from webapp.extensions import db
from webapp.models import Message
from webapp.services.accounts.api_keys import create_api_key

FINAL = {"sent", "unknown", "failed", "bounced", "suppressed", "canceled"}


@pytest.fixture
def cluster(app, app_settings, smtp_server, org, tmp_path):
    _key, raw = create_api_key(org.id, "fault tests", ["send", "read"])
    db.session.commit()
    cluster = Cluster(
        tmp_path, app_settings["database_url"], smtp_server.port, app_settings["secret_key"]
    )
    cluster.api_key = raw
    yield cluster
    cluster.stop()


def send(cluster: Cluster, prefix: str, count: int, category: str, **extra) -> list[str]:
    """POST /messages/bulk in requests of 200; returns the recipients accepted."""
    recipients = [f"{prefix}{n}@example.com" for n in range(count)]
    for start in range(0, count, 200):
        items = [
            {"to": to, "subject": f"Hello {to}", "text": "Your interview", "category": category}
            | extra
            for to in recipients[start : start + 200]
        ]
        status, body = cluster.request(
            "POST", "/api/v1/messages/bulk", cluster.api_key, {"messages": items}
        )
        assert status == 200, body
        assert body["accepted"] == len(items), body["results"][:3]
    return recipients


def delivered(smtp_server) -> Counter:
    return Counter(rcpt for item in smtp_server.received for rcpt in item.rcpt_tos)


def statuses() -> Counter:
    db.session.rollback()  # a fresh snapshot of what the processes wrote
    rows = db.session.execute(select(Message.status, func.count()).group_by(Message.status))
    return Counter(dict(rows.all()))


def all_final(total: int) -> bool:
    counts = statuses()
    return sum(counts[state] for state in FINAL) == total


def test_redis_flushed_mid_run_every_message_still_arrives_once(cluster, smtp_server):
    smtp_server.handler.delay = 0.01  # slow enough to flush with most of the mail in flight
    cluster.start()
    transactional = send(cluster, "t", 300, "transactional")
    bulk = send(cluster, "b", 300, "updates")
    wait_until(lambda: len(smtp_server.received) >= 180, 60, "30 % of the mail to arrive")

    cluster.redis.client().flushall()

    wait_until(lambda: all_final(600), 90, "every message to be sent after the flush")
    counts = delivered(smtp_server)
    assert {to: counts[to] for to in transactional + bulk} == dict.fromkeys(transactional + bulk, 1)
    assert statuses() == {"sent": 600}
    assert len(cluster.alive()) == 4, cluster.log_text()  # web, 2 workers, scheduler


def test_redis_down_for_30_seconds_then_everything_goes_out(cluster, smtp_server):
    smtp_server.handler.delay = 0.01
    cluster.start()
    before = send(cluster, "t", 200, "transactional") + send(cluster, "b", 200, "updates")
    wait_until(lambda: len(smtp_server.received) >= 120, 60, "30 % of the mail to arrive")

    cluster.redis.stop()
    during = send(cluster, "late", 50, "transactional")  # the API keeps accepting
    time.sleep(30)
    assert len(cluster.alive()) == 4, cluster.log_text()  # nobody exited on the outage
    cluster.redis.start()  # empty: no persistence, like a restarted cache
    back_at = time.monotonic()

    wait_until(lambda: all_final(450), 60, "everything accepted to go out within 60 s")
    assert time.monotonic() - back_at < 60
    counts = delivered(smtp_server)
    assert all(counts[to] == 1 for to in before + during), {
        to: counts[to] for to in before + during if counts[to] != 1
    }
    assert statuses() == {"sent": 450}
    assert len(cluster.alive()) == 4, cluster.log_text()
    health = wait_until(lambda: cluster.readyz().get("sending"), 15, "/readyz to report")
    assert health["scheduler"]["leader"] is not None


def test_worker_killed_mid_batch_at_most_one_ambiguous_message(cluster, smtp_server):
    smtp_server.handler.delay = 0.02  # the kill lands while the server holds a reply back
    cluster.start()
    transactional = send(cluster, "t", 100, "transactional")
    bulk = send(cluster, "b", 300, "updates")
    wait_until(lambda: len(smtp_server.received) >= 100, 60, "a third of the mail to arrive")

    victim = cluster.workers[0]
    cluster.kill(victim)
    cluster.start_worker()  # the operator's supervisor starts a replacement
    smtp_server.handler.delay = 0

    wait_until(lambda: all_final(400), 90, "every message to reach a final state")
    counts = delivered(smtp_server)
    final = statuses()
    # the killed worker had one SMTP connection: at most one message was on the wire
    assert final["unknown"] <= 1 and final["sent"] + final["unknown"] == 400, (
        final,
        cluster.log_text(),
    )
    assert all(counts[to] <= 1 for to in bulk)  # bulk: at most once
    assert sum(counts[to] for to in bulk) >= 300 - final["unknown"]
    assert all(counts[to] >= 1 for to in transactional)  # transactional: at least once
    assert sum(counts[to] - 1 for to in transactional) <= 1  # and at most one duplicate
    unknown = db.session.scalars(select(Message).where(Message.status == "unknown")).all()
    assert all("may have accepted" in message.last_error for message in unknown)


def test_standby_scheduler_takes_over_when_the_leader_is_killed(cluster, smtp_server):
    cluster.start(schedulers=2)
    state = wait_until(
        lambda: (cluster.readyz().get("sending") or {}).get("scheduler", {}).get("leader"),
        30,
        "a scheduler to lead",
    )
    leader_pid = int(state.split(":")[1])
    leader = next(p for p in cluster.schedulers if p.pid == leader_pid)
    cluster.kill(leader)
    killed_at = time.monotonic()

    send_at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    scheduled = send(cluster, "s", 100, "updates", send_at=send_at)  # needs the dispatcher

    def new_leader():
        leader_now = (cluster.readyz().get("sending") or {}).get("scheduler", {}).get("leader")
        return leader_now if leader_now and leader_now != state else None

    taken_over = wait_until(new_leader, 30, "the standby to lead")
    assert time.monotonic() - killed_at < 30
    assert int(taken_over.split(":")[1]) in [p.pid for p in cluster.schedulers if p is not leader]
    wait_until(lambda: all_final(100), 60, "the scheduled mail to go out")
    counts = delivered(smtp_server)
    assert {to: counts[to] for to in scheduled} == dict.fromkeys(scheduled, 1)
    assert len(cluster.alive()) == 4  # web, 2 workers, the standby


def test_stuck_mail_shows_in_readyz_and_admins_are_told(cluster, smtp_server, user):
    cluster.env["HERALD_STUCK_ALERT_SECONDS"] = "4"
    cluster.start(workers=0)  # the workers are down: nothing moves
    waiting = send(cluster, "t", 5, "transactional")

    health = wait_until(
        lambda: (h := cluster.readyz().get("sending")) and h["stuck"]["count"] >= 5 and h,
        30,
        "/readyz to count the stuck mail",
    )
    assert not health["ok"] and "5 messages waiting longer than 4 s" in health["problems"]
    alert = wait_until(
        lambda: (
            db.session.rollback()
            or db.session.scalars(select(Message).where(Message.to_email == user.email)).first()
        ),
        30,
        "the alert to the organization's owner",
    )
    assert alert.raw_subject == "[Herald] Mail is stuck"
    assert "5 messages have waited" in alert.raw_text

    cluster.start_worker()  # the operator starts a worker: the backlog and the alert go out
    wait_until(lambda: all_final(6), 60, "the backlog to be sent")
    assert sorted(delivered(smtp_server)) == sorted([*waiting, user.email])
    assert wait_until(
        lambda: cluster.readyz()["sending"]["stuck"]["count"] == 0, 15, "stuck to go back to 0"
    )


def test_run_dev_starts_a_child_again_when_it_dies(cluster, tmp_path):
    import re
    import subprocess
    import sys

    from tests.support.cluster import ROOT, free_port

    cluster.redis.start()
    env = {**cluster.env, "REDIS_URL": cluster.redis.url, "HERALD_DEV_INBOX": "false"}
    out = open(tmp_path / "run-dev.log", "w+")  # noqa: SIM115
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "run-dev"]
    supervisor = subprocess.Popen(
        [*command, "--port", str(free_port())], cwd=ROOT, env=env, stdout=out, stderr=out
    )
    try:
        log = lambda: (tmp_path / "run-dev.log").read_text()  # noqa: E731
        first = wait_until(
            lambda: re.search(r"scheduler +\| started \(pid (\d+)\)", log()), 30, "the scheduler"
        )
        pid = int(first.group(1))
        subprocess.run(["kill", "-9", str(pid)], check=True)
        again = wait_until(
            lambda: re.findall(r"scheduler +\| started \(pid (\d+)\)", log())[1:], 30, "a restart"
        )
        assert "exited with code -9; restarting" in log()
        assert int(again[0]) != pid
        subprocess.run(["kill", "-0", again[0]], check=True)  # the new scheduler runs
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=20)
        out.close()
    assert supervisor.returncode == 0


def test_a_batch_slower_than_its_lease_is_not_taken_back(cluster, smtp_server):
    cluster.env.update(HERALD_LEASE_SECONDS="2", HERALD_SWEEP_INTERVAL_SECONDS="1")
    smtp_server.handler.delay = 0.5  # 12 messages in one batch: 6 s against a 2 s lease
    cluster.start()  # one worker sends the batch, the other runs the sweeper meanwhile
    bulk = send(cluster, "slow", 12, "updates")

    wait_until(lambda: all_final(12), 60, "the slow batch to finish")
    counts = delivered(smtp_server)
    assert {to: counts[to] for to in bulk} == dict.fromkeys(bulk, 1)
    assert statuses() == {"sent": 12}  # the sweeper never called a live worker's rows lost


def test_worker_frozen_past_its_lease_sends_nothing_the_sweeper_took_back(cluster, smtp_server):
    """A worker stopped by the OS (SIGSTOP: a VM pause, swapping) outlives its lease: the
    sweeper requeues its unsent rows and the other worker sends them. When it wakes up it must
    not send them a second time."""
    smtp_server.handler.delay = 0.05
    cluster.start()
    bulk = send(cluster, "frozen", 150, "updates")
    wait_until(lambda: len(smtp_server.received) >= 20, 60, "the first batches to be on their way")

    frozen = cluster.workers[0]
    frozen.send_signal(signal.SIGSTOP)
    try:  # the other worker sends the rest, then what the sweeper takes back from this one
        wait_until(lambda: statuses()["sending"] <= 1, 60, "the frozen worker's rows taken back")
        wait_until(lambda: len(delivered(smtp_server)) >= 149, 60, "the rest to go out")
    finally:
        frozen.send_signal(signal.SIGCONT)
    smtp_server.handler.delay = 0

    wait_until(lambda: all_final(150), 60, "every message to reach a final state")
    time.sleep(2)  # the woken worker's queue, if it were still sending
    counts = delivered(smtp_server)
    doubled = {to: counts[to] for to in bulk if counts[to] > 1}
    assert not doubled, doubled  # bulk mail: at most once, even from a worker that woke up
    final = statuses()
    assert final["sent"] + final["unknown"] == 150 and final["unknown"] <= 1, final
    assert sum(counts[to] for to in bulk) >= 150 - final["unknown"]
    assert len(cluster.alive()) == 4, cluster.log_text()
