"""Tracking under load: open pixel and click redirect served by gunicorn (2 workers) on
127.0.0.1 and loaded with wrk, beside a minimal Flask endpoint that returns a constant,
served by the same gunicorn in the same run (the baseline). Then the event drain into
PostgreSQL.

Targets: pixel and click redirect >= 70 % of the baseline's requests/s, pixel p99 <= 20 ms;
drain >= 5,000 events/s. Uses its own PostgreSQL database (``BENCH_TRACKING_DATABASE_URL``, default
``herald_bench_tracking`` on the local server, created when missing) and Redis database 7
(``BENCH_TRACKING_REDIS_URL``).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import at_least, at_most, ensure_database, row

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get(
    "BENCH_TRACKING_DATABASE_URL", "postgresql://postgres@127.0.0.1/herald_bench_tracking"
)
REDIS_URL = os.environ.get("BENCH_TRACKING_REDIS_URL", "redis://127.0.0.1:6379/7")
SECRET = "bench-tracking-secret"  # noqa: S105 - a throwaway key for the benchmark
DURATION = os.environ.get("BENCH_TRACKING_DURATION", "3s")
ROUNDS = int(os.environ.get("BENCH_TRACKING_ROUNDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_TRACKING_CONNECTIONS", "8"))
DRAIN_EVENTS = 20_000


def overrides() -> dict:
    return {
        "database_url": DB_URL,
        "redis_url": REDIS_URL,
        "secret_key": SECRET,
        "public_rate_limit": 1_000_000_000,
        "log_level": "WARNING",
        "public_url": "http://127.0.0.1",
        "instance_path": Path(tempfile.gettempdir()) / "herald-bench-tracking",
    }


def serve():
    """The WSGI app gunicorn runs: ``/baseline`` is a bare Flask app, the rest is Herald."""
    from flask import Flask

    from webapp import create_app

    herald = create_app(overrides())
    baseline = Flask("baseline")

    @baseline.get("/baseline")
    def constant():
        return "ok"

    def dispatch(environ, start_response):
        target = baseline if environ.get("PATH_INFO") == "/baseline" else herald
        return target.wsgi_app(environ, start_response)

    return dispatch


def _seed(app) -> tuple[str, str, list]:
    """A fresh schema, one organization and 2,000 sent messages; returns two URLs' paths."""
    from datetime import timedelta

    from webapp.extensions import db
    from webapp.models import Base, Message, utcnow
    from webapp.services.accounts.organizations import create_organization
    from webapp.services.links import click_url, open_pixel_url

    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    org = create_organization("Bench", sending_domain="example.com")
    sent = utcnow() - timedelta(hours=1)
    messages = [
        Message(
            org_id=org.id,
            to_email=f"c{n}@example.com",
            status="sent",
            send_after=sent,
            sent_at=sent,
            links=["https://jobs.example.com/apply", "https://example.com/"],
        )
        for n in range(2000)
    ]
    db.session.add_all(messages)
    db.session.commit()
    first = messages[0]
    pixel = open_pixel_url(org.id, first.id).removeprefix("http://127.0.0.1")
    click = click_url(org.id, first.id, 0).removeprefix("http://127.0.0.1")
    return pixel, click, messages


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wrk(url: str) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) for one wrk run."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rps, p99


def _start_gunicorn(port: int) -> subprocess.Popen:
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "benchmarks.bench_tracking:serve()",
    ]
    process = subprocess.Popen(gunicorn, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    ordered = sorted(runs)  # by requests/s; the p99 of that same run
    return ordered[len(ordered) // 2]


def _load(pixel: str, click: str) -> list[dict]:
    """Baseline, pixel and click alternate for ``ROUNDS`` rounds and each figure is the
    median round: the machine is shared, and alternating keeps a burst of load elsewhere
    from landing on one endpoint only."""
    port = _free_port()
    server = _start_gunicorn(port)
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "pixel": [], "click": []}
    try:
        base = f"http://127.0.0.1:{port}"
        _wrk(base + "/baseline")  # warm-up: imports, connection pools
        _wrk(base + pixel)
        for _ in range(ROUNDS):
            runs["baseline"].append(_wrk(base + "/baseline"))
            runs["pixel"].append(_wrk(base + pixel))
            runs["click"].append(_wrk(base + click))
    finally:
        server.terminate()
        server.wait(timeout=15)
    (baseline_rps, baseline_p99), (pixel_rps, pixel_p99), (click_rps, click_p99) = (
        _median(runs[name]) for name in ("baseline", "pixel", "click")
    )
    return [
        row("baseline constant endpoint", baseline_rps, "req/s"),
        row("baseline p99", baseline_p99, "ms"),
        row("open pixel", pixel_rps, "req/s"),
        at_least("open pixel / baseline", 100 * pixel_rps / baseline_rps, "%", 70),
        at_most("open pixel p99", pixel_p99, "ms", 20),
        row("click redirect", click_rps, "req/s"),
        at_least("click redirect / baseline", 100 * click_rps / baseline_rps, "%", 70),
        row("click redirect p99", click_p99, "ms"),
    ]


def _drain(messages: list) -> list[dict]:
    import random

    from webapp.extensions import db
    from webapp.redis_client import get_redis
    from webapp.services import events
    from webapp.services.tracking.drain import drain

    conn = get_redis()
    conn.delete(events.EVENTS_KEY)
    batch = []
    for n in range(DRAIN_EVENTS):
        message = random.choice(messages)
        kind = "opened" if n % 3 else "clicked"
        batch.append(
            events.make_event(
                org_id=message.org_id,
                message_id=message.id,
                type=kind,
                is_machine=n % 5 == 0,
                user_agent="Mozilla/5.0 bench",
            )
        )
    events.push_events(conn, batch)
    started = time.perf_counter()
    result = drain(conn, batch_size=5000)
    elapsed = time.perf_counter() - started
    db.session.remove()
    if result.stored != DRAIN_EVENTS:
        raise RuntimeError(f"drain stored {result.stored} of {DRAIN_EVENTS}")
    return [at_least("drain into PostgreSQL", DRAIN_EVENTS / elapsed, "events/s", 5000)]


def run() -> list[dict]:
    ensure_database(DB_URL)
    from webapp import create_app

    app = create_app(overrides())
    with app.app_context():
        app.extensions["herald.redis"].flushdb()
        pixel, click, messages = _seed(app)
        rows = _load(pixel, click)
        rows += _drain(messages)
        app.extensions["herald.redis"].flushdb()
    return rows
