"""POST /api/v1/messages under load: p50 latency and requests/s (issue 8, "Done when").

gunicorn with 2 workers serves the real app on PostgreSQL (database ``herald_bench_api``,
created when missing; override with ``BENCH_API_DATABASE_URL``) and a real Redis (db 8,
``BENCH_API_REDIS_URL``). ``wrk`` posts raw-content sends, each to a different address, over
keep-alive connections, twice: with 2 connections for the latency a client sees, and with 8
to find the capacity of the two workers. Every request authenticates its key, takes a
rate-limit token in Redis, validates, inserts the Message row, commits and enqueues the send
job. The key's own rate limit is raised for the run: this measures the request path, not the
policy. One wrk thread drives the connections, leaving the two cores to the server, PostgreSQL
and Redis. The machine's other load shows in the figures: run it on a quiet machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.common import at_least, at_most, ensure_database, row

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get(
    "BENCH_API_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/herald_bench_api"
)
REDIS_URL = os.environ.get("BENCH_API_REDIS_URL", "redis://127.0.0.1:6379/8")
WORKERS = 2
THREADS = int(os.environ.get("BENCH_API_THREADS", "4"))  # gthread: keep-alive, requests overlap
LATENCY_CONNECTIONS = 2  # a couple of integrations sending: the latency a client sees
THROUGHPUT_CONNECTIONS = 8  # enough to keep both workers busy: the capacity
DURATION = int(os.environ.get("BENCH_API_SECONDS", "10"))

LUA = """
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
request = function()
  n = n + 1
  local body = '{"to": "bench' .. n .. '-' .. math.random(1, 1000000000) .. '@example.com",'
    .. '"to_name": "Bench", "subject": "Interview on Monday",'
    .. '"text": "Hello, we would like to invite you to an interview."}'
  return wrk.format(nil, "/api/v1/messages", nil, body)
end
"""


def _seed(instance: Path) -> str:
    """A fresh schema, one organization and a key; returns the raw key."""
    from tests.support import factories
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Base
    from webapp.services.accounts.api_keys import create_api_key

    app = create_app(
        {
            "database_url": DB_URL,
            "redis_url": REDIS_URL,
            "instance_path": instance,
            "secret_key": "bench-secret-key",
            "log_level": "WARNING",
        }
    )
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        app.extensions["herald.redis"].flushdb()
        org = factories.make_org("Bench API")
        key, raw = create_api_key(org.id, "bench", ["send", "read"])
        key.rate_limit_per_minute = 100_000_000
        db.session.commit()
        db.engine.dispose()
    return raw


def _start_gunicorn(port: int, instance: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DB_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench-secret-key",  # noqa: S106 - a throwaway key for a throwaway database
        HERALD_INSTANCE_PATH=str(instance),
        HERALD_LOG_LEVEL="WARNING",
    )
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        f"--workers={WORKERS}",
        "--worker-class=gthread",
        f"--threads={THREADS}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "wsgi:app",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def _wrk(base: str, script: Path, seconds: int, connections: int) -> str:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
               base]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "p50_ms": _milliseconds(*p50.groups()),
        "p99_ms": _milliseconds(*p99.groups()),
        "rps": float(rps.group(1)),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _time_bulk(base: str, raw_key: str, size: int = 1000) -> float:
    """Seconds for one POST /messages/bulk of ``size`` messages (one transaction)."""
    import json

    items = [
        {"to": f"bulk{index}-{time.time_ns()}@example.com", "subject": "Hi", "text": "Hello"}
        for index in range(size)
    ]
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        f"{base}/api/v1/messages/bulk",
        data=json.dumps({"messages": items}).encode(),
        headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - localhost
        accepted = json.load(response)["accepted"]
    if accepted != size:
        raise RuntimeError(f"bulk send accepted {accepted} of {size}")
    return time.perf_counter() - started


def _count_messages() -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(DB_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        count = conn.scalar(text("SELECT count(*) FROM messages"))
    engine.dispose()
    return int(count or 0)


def _empty_queues() -> None:
    import redis
    from rq import Queue

    from webapp.services.queues import ALL_QUEUES

    conn = redis.Redis.from_url(REDIS_URL)
    for name in ALL_QUEUES:
        Queue(name, connection=conn).empty()


def _measure(base: str, script: Path, raw_key: str) -> dict[str, float]:
    _wait_ready(f"{base}/api/v1/openapi.json")
    _wrk(base, script, 2, THROUGHPUT_CONNECTIONS)  # warm-up: pools, schemas, scripts
    before = _count_messages()
    latency = parse_wrk(_wrk(base, script, DURATION, LATENCY_CONNECTIONS))
    throughput = parse_wrk(_wrk(base, script, DURATION, THROUGHPUT_CONNECTIONS))
    return {
        "p50": latency["p50_ms"],
        "p99": latency["p99_ms"],
        "rps": throughput["rps"],
        "p50_busy": throughput["p50_ms"],
        "errors": latency["errors"] + throughput["errors"],
        "created": _count_messages() - before,
        "bulk": _time_bulk(base, raw_key),
    }


def run() -> list[dict]:
    if shutil.which("wrk") is None:
        return [row("api POST /messages (wrk missing)", None, "", "", False)]
    ensure_database(DB_URL)
    instance = Path(tempfile.mkdtemp(prefix="herald-bench-api-"))
    raw_key = _seed(instance)
    script = instance / "post.lua"
    script.write_text(LUA % {"key": raw_key})
    port = 18000 + os.getpid() % 1000
    server = _start_gunicorn(port, instance)
    try:
        got = _measure(f"http://127.0.0.1:{port}", script, raw_key)
    finally:
        server.terminate()
        server.wait(timeout=30)
        _empty_queues()
        shutil.rmtree(instance, ignore_errors=True)
    light, busy = f"({LATENCY_CONNECTIONS} conns)", f"({THROUGHPUT_CONNECTIONS} conns)"
    return [
        at_most(f"api POST /messages p50 {light}", got["p50"], "ms", 10),
        row(f"api POST /messages p99 {light}", got["p99"], "ms"),
        at_least(f"api POST /messages req/s {busy}", got["rps"], "req/s", 800),
        row(f"api POST /messages p50 {busy}", got["p50_busy"], "ms"),
        at_most("api POST /messages non-2xx responses", got["errors"], "count", 0),
        row("api messages created during the runs", got["created"], "rows"),
        at_most("api POST /messages/bulk, 1,000 messages", got["bulk"], "s", 5),
    ]


if __name__ == "__main__":
    from benchmarks.run import print_table

    print_table(run())
