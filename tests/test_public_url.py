"""A plain-http public URL outside development breaks RFC 8058 one-click unsubscribe (it needs
https): Herald says so once at start-up and in /readyz, and stays ready."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from webapp import create_app
from webapp.extensions import db
from webapp.ops.checks import migration_heads

ROOT = Path(__file__).resolve().parent.parent
STARTS_TWO_APPS = "from webapp import create_app; create_app(); create_app(); print('started')"


def _start(app_settings, tmp_path, public_url: str) -> str:
    """Start two apps in a fresh process configured like a deployment; return its log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERALD_", "FLASK"))}
    env.update(
        DATABASE_URL=app_settings["database_url"],
        REDIS_URL=app_settings["redis_url"],
        SECRET_KEY="a-deployment-secret",
        HERALD_INSTANCE_PATH=str(tmp_path),
        HERALD_PUBLIC_URL=public_url,
    )
    done = subprocess.run(
        [sys.executable, "-c", STARTS_TWO_APPS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "started" in done.stdout, done.stderr
    return done.stderr


def test_a_plain_http_public_url_is_warned_about_once_per_process(app_settings, tmp_path):
    log = _start(app_settings, tmp_path, "http://herald.example.com")
    lines = [line for line in log.splitlines() if "RFC 8058" in line]
    assert len(lines) == 1, log
    assert "WARNING" in lines[0] and "HERALD_PUBLIC_URL" in lines[0]


@pytest.mark.parametrize(
    "public_url",
    ["https://herald.example.com", "http://127.0.0.1:5000", "http://localhost:8000"],
)
def test_https_and_local_development_urls_are_not_warned_about(app_settings, tmp_path, public_url):
    assert "RFC 8058" not in _start(app_settings, tmp_path, public_url)


@pytest.fixture
def deployed(app, app_settings):
    """An app configured as a deployment (not testing) on a migrated database."""

    def _make(public_url: str):
        deployed_app = create_app({**app_settings, "testing": False, "public_url": public_url})
        return deployed_app.test_client()

    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": migration_heads()[0]})
    yield _make
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_readyz_carries_the_warning_and_stays_ready(deployed):
    response = deployed("http://herald.example.com").get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ready", body
    assert len(body["warnings"]) == 1
    assert "RFC 8058" in body["warnings"][0] and "https" in body["warnings"][0]


@pytest.mark.parametrize("public_url", ["https://herald.example.com", "http://127.0.0.1:5000"])
def test_readyz_has_no_warning_for_https_or_local_development(deployed, public_url):
    body = deployed(public_url).get("/readyz").get_json()
    assert body["status"] == "ready" and body["warnings"] == []
