"""Helpers shared by benchmark modules."""

from __future__ import annotations

import os


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
