"""Statistics at volume: 1,000,000 messages and 3,000,000 events on PostgreSQL.

Seeds (once; reused while the schema is unchanged) one organization with 50 campaigns of
20,000 recipients over 90 days, their events, and the hourly rollups the event drain would
have written; then times full requests through the Flask app (server time: routing, queries,
templates; no network):

* the 90-day overview (target <= 300 ms, median of 7),
* a campaign's recipients table, first page and a filtered page (target <= 200 ms),
* the lazily loaded breakdowns by recipient domain and top links (target <= 150 ms each, from
  their hourly rollups), and the one by campaign and a ``/metrics`` scrape, without targets.

Uses its own database (``BENCH_STATS_DATABASE_URL``, default ``herald_bench_stats`` on the local
server, created when missing) and Redis database 13 (``BENCH_STATS_REDIS_URL``).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.schema import CreateIndex, CreateTable

from benchmarks.common import at_most, ensure_database, row

DB_URL = os.environ.get(
    "BENCH_STATS_DATABASE_URL", "postgresql://postgres@127.0.0.1/herald_bench_stats"
)
REDIS_URL = os.environ.get("BENCH_STATS_REDIS_URL", "redis://127.0.0.1:6379/13")
MESSAGES = 1_000_000
EVENTS = 3_000_000
CAMPAIGNS = 50
EMAIL = "bench-stats@example.com"
PASSWORD = "bench stats password"  # noqa: S105 - a throwaway benchmark account
RUNS = 7
DOMAINS = (
    "ARRAY['gmail.com','outlook.com','yahoo.com','icloud.com','gmx.de','web.de','proton.me',"
    "'example.com']"
)


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def _schema_hash(engine) -> str:
    from webapp.models import Base

    ddl = "".join(
        str(CreateTable(t).compile(engine))
        + "".join(sorted(str(CreateIndex(i).compile(engine)) for i in t.indexes))
        for t in Base.metadata.sorted_tables
    )
    return hashlib.sha256(f"{MESSAGES}/{EVENTS}/{ddl}".encode()).hexdigest()[:16]


def _seeded(engine, marker: str) -> bool:
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_seed (marker text)"))
        conn.commit()
        return conn.scalar(text("SELECT marker FROM bench_seed")) == marker


def _literal(value) -> str:
    if isinstance(value, dict | list):
        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return "now()"
    if isinstance(value, uuid.UUID):
        return "gen_random_uuid()"
    return "'" + str(value if value is not None else "").replace("'", "''") + "'"


def _defaults(table, given: set[str]) -> tuple[str, str]:
    """Columns (and SQL values) for every NOT NULL column the seed does not set itself, so the
    seed keeps working when a column with a default is added to the model."""
    names, values = [], []
    for column in table.columns:
        if column.name in given or column.nullable or column.default is None:
            continue
        arg = column.default.arg
        value = arg(None) if callable(arg) else arg
        names.append(column.name)
        values.append(_literal(value))
    return "".join(", " + n for n in names), "".join(", " + v for v in values)


def _seed_objects(db) -> tuple:
    from webapp.models import Campaign, EmailTemplate, Job, TemplateVersion
    from webapp.services.accounts.organizations import add_member, create_organization, create_user

    org = create_organization("Bench Stats", timezone="Europe/Berlin")
    add_member(org, create_user(EMAIL, PASSWORD, name="Bench"), "owner")
    jobs = [Job(org_id=org.id, title=f"Job {n}") for n in range(5)]
    templates = [EmailTemplate(org_id=org.id, name=f"Invitation {n}") for n in range(5)]
    db.session.add_all(jobs + templates)
    db.session.flush()
    versions = [
        TemplateVersion(org_id=org.id, template_id=t.id, number=v, subject="Hi", body_mjml="x")
        for t in templates
        for v in (1, 2)
    ]
    db.session.add_all(versions)
    db.session.flush()
    campaigns = [
        Campaign(
            org_id=org.id,
            name=f"Campaign {n}",
            job_id=jobs[n % 5].id,
            template_version_id=versions[n % 10].id,
            total_recipients=MESSAGES // CAMPAIGNS,
        )
        for n in range(CAMPAIGNS)
    ]
    db.session.add_all(campaigns)
    db.session.commit()
    return org, campaigns


MESSAGES_SQL = """
INSERT INTO messages (id, org_id, status, send_after, to_email, to_name, campaign_id,
    template_version_id, sent_at, delivered_at, bounced_at, complained_at, failed_at, opened_at,
    clicked_at, open_count, click_count, machine_open_count, machine_click_count, created_at{extra})
SELECT gen_random_uuid(), :org, s.status, s.at, 'cand' || g || '@' || ({domains})[1 + g % 8],
    'Candidate ' || g, c.id, c.tv, CASE WHEN s.status = 'failed' THEN NULL ELSE s.at END,
    CASE WHEN s.status IN ('delivered', 'complained') THEN s.at + interval '1 minute' END,
    CASE WHEN s.status = 'bounced' THEN s.at END, CASE WHEN s.status = 'complained' THEN s.at END,
    CASE WHEN s.status = 'failed' THEN s.at END, s.opened, s.clicked,
    (s.opened IS NOT NULL)::int, (s.clicked IS NOT NULL)::int,
    CASE WHEN g % 10 IN (4, 5) THEN 1 ELSE 0 END, 0, s.at{extra_values}
FROM generate_series(0, :n - 1) AS g
JOIN bench_campaigns c ON c.n = g % {campaigns}
CROSS JOIN LATERAL (SELECT
    c.start_at + ((g / {campaigns}) % 360) * interval '1 minute' AS at,
    CASE WHEN g % 100 < 2 THEN 'bounced' WHEN g % 100 = 2 THEN 'failed'
         WHEN g % 100 = 3 THEN 'complained' ELSE 'delivered' END AS status) AS base
CROSS JOIN LATERAL (SELECT base.at, base.status,
    CASE WHEN g % 10 < 4 AND g % 100 > 3 THEN base.at + ((g * 7) % 4320) * interval '1 minute' END
        AS opened,
    CASE WHEN g % 10 < 1 AND g % 100 > 3 THEN base.at + ((g * 7) % 4320 + 5) * interval '1 minute'
        END AS clicked) AS s
"""

EVENTS_SQL = """
INSERT INTO message_events (id, org_id, message_id, type, occurred_at, event_key, is_machine,
    url{extra})
SELECT gen_random_uuid(), m.org_id, m.id,
    CASE g / :per WHEN 0 THEN 'delivered' WHEN 1 THEN 'opened' ELSE 'clicked' END,
    m.sent_at + (g % 4320) * interval '1 minute', 'bench-' || g, g % 4 = 0,
    CASE WHEN g / :per >= 2 THEN 'https://jobs.example.com/p/' || (g % 40) END{extra_values}
FROM generate_series(0, :n - 1) AS g
JOIN bench_m m ON m.n = g % :per
"""

ROLLUPS_SQL = """
INSERT INTO stat_rollups (org_id, hour, campaign_id, template_version_id, metric, count)
SELECT org_id, date_trunc('hour', at), campaign_id, tv, metric, count(*) FROM (
    SELECT m.org_id, m.campaign_id, m.template_version_id AS tv, v.at, v.metric
    FROM messages m CROSS JOIN LATERAL (VALUES
        (m.sent_at, 'sent'), (m.delivered_at, 'delivered'), (m.bounced_at, 'bounced_hard'),
        (m.complained_at, 'complained'), (m.failed_at, 'failed'),
        (m.opened_at, 'opened_unique'), (m.opened_at, 'opened_unique_human'),
        (m.clicked_at, 'clicked_unique'), (m.clicked_at, 'clicked_unique_human')) AS v(at, metric)
    WHERE v.at IS NOT NULL
    UNION ALL
    SELECT e.org_id, m.campaign_id, m.template_version_id, e.occurred_at, v.metric
    FROM message_events e JOIN messages m ON m.id = e.message_id
    CROSS JOIN LATERAL (VALUES (e.type), (CASE WHEN NOT e.is_machine THEN e.type || '_human' END))
        AS v(metric)
    WHERE e.type IN ('opened', 'clicked') AND v.metric IS NOT NULL
) AS facts GROUP BY 1, 2, 3, 4, 5
"""


def _seed_rows(db, org, campaigns) -> None:
    from webapp.models import Message, MessageEvent

    conn = db.session.connection()
    conn.execute(text("SET TimeZone = 'UTC'"))
    conn.execute(
        text("CREATE TEMP TABLE bench_campaigns (n int, id uuid, tv uuid, start_at timestamptz)")
    )
    for n, campaign in enumerate(campaigns):
        days_ago = 89 - (n * 89) // CAMPAIGNS
        conn.execute(
            text(
                "INSERT INTO bench_campaigns VALUES (:n, :id, :tv, now() - :d * interval '1 day')"
            ),
            {"n": n, "id": campaign.id, "tv": campaign.template_version_id, "d": days_ago},
        )
    given = (
        "id org_id status send_after to_email to_name campaign_id template_version_id sent_at "
        "delivered_at bounced_at complained_at failed_at opened_at clicked_at open_count "
        "click_count machine_open_count machine_click_count created_at"
    )
    extra, extra_values = _defaults(Message.__table__, set(given.split()))
    sql = MESSAGES_SQL.format(
        extra=extra, extra_values=extra_values, domains=DOMAINS, campaigns=CAMPAIGNS
    )
    conn.execute(text(sql), {"org": org.id, "n": MESSAGES})
    conn.execute(
        text(
            "CREATE TEMP TABLE bench_m AS SELECT id, org_id, sent_at, "
            "row_number() OVER (ORDER BY id) - 1 AS n FROM messages WHERE sent_at IS NOT NULL"
        )
    )
    conn.execute(text("CREATE INDEX ON bench_m (n)"))
    per = conn.scalar(text("SELECT count(*) FROM bench_m"))
    given = "id org_id message_id type occurred_at event_key is_machine url"
    extra, extra_values = _defaults(MessageEvent.__table__, set(given.split()))
    sql = EVENTS_SQL.format(extra=extra, extra_values=extra_values)
    conn.execute(text(sql), {"n": EVENTS, "per": per})
    conn.execute(text(ROLLUPS_SQL))
    from webapp.services.tracking import domain_rollups, link_rollups

    domain_rollups.rebuild()
    link_rollups.rebuild()
    db.session.commit()


def _seed(app, engine, marker: str) -> float:
    from webapp.extensions import db
    from webapp.models import Base

    started = time.monotonic()
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with app.app_context():
        org, campaigns = _seed_objects(db)
        _seed_rows(db, org, campaigns)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("DELETE FROM bench_seed"))
        conn.execute(text("INSERT INTO bench_seed VALUES (:m)"), {"m": marker})
        conn.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.monotonic() - started


def _app():
    from webapp import create_app

    return create_app(
        {
            "database_url": DB_URL,
            "redis_url": REDIS_URL,
            "secret_key": "bench-stats-secret",
            "instance_path": Path("/tmp/herald-bench-stats"),  # noqa: S108 - benchmark scratch
            "log_level": "WARNING",
            "login_rate_limit": 1000,
        }
    )


def _median_ms(client, url: str) -> float:
    response = client.get(url)  # warm up caches and the connection pool
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return round(statistics.median(timings), 1)


def _first_campaign(app) -> str:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Campaign

    with app.app_context():
        return str(db.session.scalar(select(Campaign.id).where(Campaign.name == "Campaign 0")))


def run() -> list[dict]:
    ensure_database(DB_URL)
    engine = _engine(DB_URL)
    app = _app()
    marker = _schema_hash(engine)
    rows = []
    if not _seeded(engine, marker):
        rows.append(row("stats seed (1M messages, 3M events)", _seed(app, engine, marker), "s"))
    engine.dispose()
    app.config["WTF_CSRF_ENABLED"] = False  # the test client posts the login form directly
    client = app.test_client()
    login = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 302, "bench login failed"
    campaign = _first_campaign(app)
    rows.append(
        at_most("stats overview, 90 days", _median_ms(client, "/stats/?days=90"), "ms", 300)
    )
    page = f"/stats/campaigns/{campaign}"
    rows.append(at_most("campaign recipients, page 1", _median_ms(client, page), "ms", 200))
    rows.append(
        at_most(
            "campaign recipients, opened=yes page 1",
            _median_ms(client, page + "?opened=yes"),
            "ms",
            200,
        )
    )
    rows.append(
        at_most("campaign recipients, page 100", _median_ms(client, page + "?page=100"), "ms", 200)
    )
    app.config["HERALD"].metrics_token = "bench-metrics-token"  # noqa: S105 - benchmark only
    scrape = _median_ms(client, "/metrics?token=bench-metrics-token")
    rows.append(row("metrics scrape (1M messages)", scrape, "ms"))
    url = "/stats/breakdowns?days=90&by="
    rows.append(
        row("stats breakdown by campaign, 90 days", _median_ms(client, url + "campaign"), "ms")
    )
    for kind in ("domain", "links"):
        name = f"stats breakdown by {kind}, 90 days"
        rows.append(at_most(name, _median_ms(client, url + kind), "ms", 150))
    return rows
