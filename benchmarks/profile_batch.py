"""Profile one worker's share of a campaign: ``python -m benchmarks.profile_batch [N]``.

``--cpu`` measures without cProfile: the worker's own CPU per email, one process, so it moves
little with the machine's load (compare two commits by running it on each, in turn).

Sets up the benchmark's campaign (``bench_sending``: branded invitation, interview times,
``.ics``) for N recipients (default 1,000), fans it out in this process, then runs the send
batches under cProfile against ``smtp-sink`` and prints where the time goes, and how many SQL
statements a batch costs. Uses the benchmark's database and Redis. ``PROFILE_SORT`` (default
``cumulative``, e.g. ``tottime``) and ``PROFILE_LINES`` shape the listing; ``PROFILE_DUMP=file``
also writes the profile for ``pstats``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import subprocess
import sys
import time

from benchmarks import bench_sending
from benchmarks.common import ensure_database, free_port
from benchmarks.stack import SMTP_SINK


def main(count: int) -> None:
    from sqlalchemy import event, select

    from jobs.campaigns import expand_campaign
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Message
    from webapp.redis_client import get_redis
    from webapp.services.sending.pipeline import send_messages

    bench_sending.COUNT = count
    ensure_database(bench_sending.DATABASE_URL)
    port = free_port()
    sink = subprocess.Popen([SMTP_SINK, "-u", "postfix", f"127.0.0.1:{port}", "256"])
    app = create_app(
        {
            "database_url": bench_sending.DATABASE_URL,
            "redis_url": bench_sending.REDIS_URL,
            "secret_key": "bench-secret-key",
            "public_url": "https://herald.example.com",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "org_rate_per_second": 1e6,
            "domain_rate_per_second": 1e6,
            "log_level": "WARNING",
        }
    )
    try:
        bench_sending._reset(app)
        setup = bench_sending._setup_campaign(app, "profile", dkim="--dkim" in sys.argv)
        with app.app_context():
            from webapp.models import Campaign

            db.session.get(Campaign, setup["campaign_id"]).status = "scheduled"
            db.session.commit()
            expand_campaign(setup["campaign_id"])
            get_redis().flushdb()
            ids = list(db.session.scalars(select(Message.id).order_by(Message.id)))
            db.session.commit()
            statements = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
            settings = app.config["HERALD"]
            profiler = cProfile.Profile()
            profiling = "--cpu" not in sys.argv
            started = time.process_time()
            if profiling:
                profiler.enable()
            for start in range(0, len(ids), settings.batch_size):
                send_messages(ids[start : start + settings.batch_size], settings, get_redis())
                db.session.commit()
            profiler.disable()
            if os.environ.get("PROFILE_DUMP"):
                profiler.dump_stats(os.environ["PROFILE_DUMP"])
            cpu = time.process_time() - started
        batches = -(-len(ids) // settings.batch_size)
        label = "profiled" if profiling else "not profiled"
        print(f"{len(ids)} emails, {cpu * 1000 / len(ids):.2f} ms CPU each ({label}), "
              f"{len(statements) / batches:.0f} SQL statements per batch of "
              f"{settings.batch_size}")  # fmt: skip
        if profiling:
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("PROFILE_LINES", "45")))
    finally:
        bench_sending._reset(app)
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main(int(next((a for a in sys.argv[1:] if a.isdigit()), "1000")))
