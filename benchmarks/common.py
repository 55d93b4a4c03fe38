"""Helpers shared by benchmark modules: result rows, databases, processes and their CPU time."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def row(name: str, value: float | None, unit: str, target: str = "", met: bool | None = None):
    return {"name": name, "value": value, "unit": unit, "target": target, "met": met}


def at_most(name: str, value: float, unit: str, limit: float) -> dict:
    return row(name, value, unit, f"<= {limit:g}", value <= limit)


def at_least(name: str, value: float, unit: str, limit: float) -> dict:
    return row(name, value, unit, f">= {limit:g}", value >= limit)


def postgres_url() -> str:
    """The PostgreSQL database benchmarks use (DATABASE_URL, else the local server's `test`)."""
    return os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist (a fresh machine)."""
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?", 1)[0]
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn's master and its workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of each process and of its reaped children, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / _TICKS
