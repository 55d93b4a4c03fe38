"""Readiness checks: database and Redis reachable within short timeouts, migrations current.

A database built by ``create_all`` (the test suite) has no ``alembic_version`` table; it is
reported as "not stamped" and the instance is not ready, because nothing proves its schema
matches the code. ``flask db upgrade`` (what ``make run`` and deployments do) stamps it; for a
schema built another way, ``flask db stamp head`` says it is current.
"""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from webapp.config import PROJECT_ROOT
from webapp.extensions import db

REDIS_TIMEOUT = 1.0
DB_STATEMENT_TIMEOUT_MS = 2000


@lru_cache(maxsize=1)
def migration_heads() -> tuple[str, ...]:
    """The head revision(s) in ``migrations/`` (read once per process)."""
    return tuple(sorted(ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads()))


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **(check() or {})}
    except Exception as exc:  # any failure means "not ready"; its type is reported
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    def run():
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"SET statement_timeout = {DB_STATEMENT_TIMEOUT_MS}"))
            conn.execute(text("SELECT 1"))
            if conn.dialect.name == "postgresql":
                conn.execute(text("RESET statement_timeout"))
            conn.rollback()

    return _timed(run)


def check_redis(url: str) -> dict:
    def run():
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()

    return _timed(run)


def database_revision() -> tuple[str, ...] | None:
    """The revisions stamped in the database, or None when it was never stamped."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return tuple(sorted(rows))


def check_migrations() -> dict:
    result = _timed(lambda: {"current": database_revision(), "head": migration_heads()})
    if not result["ok"]:
        return result
    current, head = result.pop("current"), result.pop("head")
    result.update(head=list(head), current=list(current or []))
    if current is None:
        result.update(ok=False, error="not stamped: run `flask db upgrade`")
    elif current != head:
        result.update(ok=False, error="migrations pending: run `flask db upgrade`")
    return result


def readiness(redis_url: str) -> tuple[bool, dict]:
    checks = {"database": check_database(), "redis": check_redis(redis_url)}
    checks["migrations"] = (
        check_migrations()
        if checks["database"]["ok"]
        else {"ok": False, "error": "database unreachable"}
    )
    return all(check["ok"] for check in checks.values()), checks


def sending_health(conn: redis.Redis, stuck_after: float) -> dict:
    """The scheduler's heartbeat and leader, and how much mail is stuck (REQUIREMENTS Q2)."""
    from webapp.services.sending.scheduler_status import scheduler_state, stuck_messages

    state = scheduler_state(conn)
    stuck = stuck_messages(stuck_after)
    problems = []
    if state["leader"] is None:
        problems.append("no scheduler is leading: start `herald scheduler`")
    elif state["heartbeat_age_seconds"] is not None and state["heartbeat_age_seconds"] > 30:
        problems.append("the leading scheduler has not ticked for over 30 s")
    if stuck["count"]:
        problems.append(f"{stuck['count']} messages waiting longer than {int(stuck_after)} s")
    return {"ok": not problems, "problems": problems, "scheduler": state, "stuck": stuck}
