"""Periodic jobs as data: reconciled with rq-scheduler by stable id, missing modules skipped,
and the fast loop for the 2-second jobs that never piles up duplicates."""

from __future__ import annotations

import logging

from rq_scheduler import Scheduler

from jobs import schedule
from jobs.schedule import PERIODIC_JOBS, FastLoop, PeriodicJob
from webapp.services.queues import PERIODIC, get_queue


def test_every_declared_job_has_a_stable_unique_id():
    ids = [job.id for job in PERIODIC_JOBS]
    assert len(ids) == len(set(ids))
    assert {"sending.dispatch_due", "sending.sweep", "tracking.drain_events"} <= set(ids)


def test_a_job_whose_module_is_missing_is_skipped_with_a_warning(app, caplog):
    missing = PeriodicJob("nope.run", "jobs.does_not_exist.run", 60)
    caplog.set_level(logging.WARNING, logger="jobs.schedule")
    active = schedule.active_jobs((missing, PERIODIC_JOBS[0]))
    assert active == [PERIODIC_JOBS[0]]
    assert "periodic job nope.run skipped" in caplog.text


def test_reconcile_is_idempotent_and_removes_stale_jobs(app):
    conn = app.extensions["herald.redis"]
    scheduler = Scheduler(connection=conn, interval=1)
    stale = PeriodicJob("old.job", "jobs.sending.sweep", 60)
    schedule.reconcile(scheduler, [stale, *schedule.active_jobs()[1:2]])
    wanted = [job for job in schedule.active_jobs() if job.interval > 5]
    schedule.reconcile(scheduler, wanted)
    schedule.reconcile(scheduler, wanted)
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == sorted(schedule.rq_id(job) for job in wanted)
    assert "periodic-sending-sweep" in ids


def test_fast_loop_enqueues_on_time_without_duplicates(app):
    conn = app.extensions["herald.redis"]
    job = PeriodicJob("sending.dispatch_due", "jobs.sending.dispatch_due", 2)
    loop = FastLoop(conn, [job])
    assert loop.tick(1000.0) == ["sending.dispatch_due"]
    assert loop.tick(1003.0) == []  # the previous run is still waiting in the queue
    assert len(get_queue(PERIODIC)) == 1
    get_queue(PERIODIC).empty()
    assert loop.tick(1003.5) == ["sending.dispatch_due"]  # gone from the queue: due again
    assert loop.tick(1004.0) == []  # …but not before its interval
