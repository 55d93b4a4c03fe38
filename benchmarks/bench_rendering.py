# ruff: noqa: E501 - benchmark rows read best on one line each
"""Rendering speed: the default interview invitation for one recipient.

1. ``render`` — Jinja + MJML + text + link rewriting, per recipient, with the compiled template
   cached per (version, brand revision) as in production. Target: median <= 0.5 ms.
2. ``compose_message`` — everything the sending pipeline asks for one Message: context with the
   signed interview/unsubscribe/preferences links, render, click-tracking links and honeypot,
   open pixel and the ``.ics`` attachment (rows already loaded, as in a batch send), on
   PostgreSQL (``BENCH_RENDERING_DATABASE_URL``, default ``herald_bench_rendering`` on the
   local server, created when missing).
3. Cold compile (MJML → HTML once per version and brand revision), for reference.

Runs in one thread pinned to one core, so renders/s is per core.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import at_least, at_most, ensure_database, row

DB_URL = os.environ.get(
    "BENCH_RENDERING_DATABASE_URL", "postgresql://postgres@127.0.0.1/herald_bench_rendering"
)
RECIPIENTS = int(os.environ.get("BENCH_RENDERING_RECIPIENTS", "5000"))
FIRST_NAMES = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Edsger", "Frances"]


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _timed(fn, count: int) -> tuple[list[float], float]:
    samples = []
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples, time.perf_counter() - started


def bench_render() -> list[dict]:
    from webapp.services.rendering import BrandData, render
    from webapp.services.rendering.compiled import clear_cache, compile_template
    from webapp.services.rendering.variables import sample_context
    from webapp.services.templates.library import system_default

    source = system_default("invitation").source
    brand = BrandData(org_name="Acme", postal_address="1 Main St", revision="bench")
    contexts = []
    for i in range(RECIPIENTS):
        name = FIRST_NAMES[i % len(FIRST_NAMES)]
        contexts.append(sample_context({
            "candidate": {"first_name": f"{name}{i}", "email": f"c{i}@example.com"},
            "invite_url": f"https://herald.example.com/i/token-{i}",
            "unsubscribe_url": f"https://herald.example.com/u/token-{i}",
            "recipient": {"timezone": ["Europe/Paris", "America/New_York", "Asia/Tokyo"][i % 3]},
        }))  # fmt: skip

    def rewrite(url: str, index: int) -> str:
        return f"https://herald.example.com/t/c/token-{index}"

    clear_cache()
    t0 = time.perf_counter()
    compile_template(source, brand)
    cold_ms = (time.perf_counter() - t0) * 1000
    for i in range(200):  # warm up
        render(source, brand, contexts[i], link_rewriter=rewrite)
    samples, elapsed = _timed(
        lambda i: render(source, brand, contexts[i], link_rewriter=rewrite), RECIPIENTS
    )
    result = render(source, brand, contexts[0], link_rewriter=rewrite)
    assert not result.errors and result.text and "/t/c/token-0" in result.html
    median = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98]
    return [
        at_most("render default invitation, median per recipient", round(median, 3), "ms", 0.5),
        row("render default invitation, p99 per recipient", round(p99, 3), "ms"),
        at_least("render default invitation, renders/s on one core", round(RECIPIENTS / elapsed), "renders/s", 2000),
        row("compile invitation once (MJML → HTML, cold)", round(cold_ms, 2), "ms"),
    ]  # fmt: skip


def bench_compose() -> list[dict]:
    from sqlalchemy import create_engine

    from tests.support import factories
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Base, Message
    from webapp.services.templates.compose import compose_message

    ensure_database(DB_URL)
    engine = create_engine(DB_URL.replace("postgresql://", "postgresql+psycopg://"))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({
        "database_url": DB_URL, "secret_key": "bench-rendering", "log_level": "WARNING",
        "public_url": "https://herald.example.com", "instance_path": Path(tempfile.gettempdir()) / "herald-bench-rendering",
        "redis_url": os.environ.get("BENCH_RENDERING_REDIS_URL", "redis://127.0.0.1:6379/7"),
    })  # fmt: skip
    count = min(RECIPIENTS, 2000)
    with app.app_context():
        org = factories.make_org("Bench Org")
        candidates = [factories.make_candidate(org, f"b{i}@example.com") for i in range(count)]
        shortlist = factories.make_shortlist(org, None, candidates)
        messages = [
            Message(org_id=org.id, to_email=e.candidate.email, to_name=e.candidate.full_name,
                    kind="invitation", shortlist_entry_id=e.id, send_after=e.created_at,
                    status="sending")
            for e in shortlist.entries
        ]  # fmt: skip
        db.session.add_all(messages)
        db.session.commit()
        for message in messages[:100]:
            compose_message(message, org)
        samples, elapsed = _timed(lambda i: compose_message(messages[i], org), count)
        email = compose_message(messages[0], org)
        assert email.attachments and email.links[-1] == "__honeypot__"
        db.session.remove()
    return [
        row("compose_message invitation, median per recipient", round(statistics.median(samples), 3), "ms"),
        row("compose_message invitation, messages/s on one core", round(count / elapsed), "msg/s"),
    ]  # fmt: skip


def run() -> list[dict]:
    _pin_one_core()
    rows = bench_render()
    try:
        rows += bench_compose()
    except Exception as exc:  # the render figures stand without PostgreSQL
        rows.append(row(f"compose_message (skipped: {type(exc).__name__})", None, ""))
    return rows
