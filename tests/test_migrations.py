"""The Alembic migrations build the same schema as the models, and downgrade cleanly,
on SQLite and (when DATABASE_URL points at it) on PostgreSQL."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from webapp import create_app
from webapp.config import PROJECT_ROOT
from webapp.extensions import db
from webapp.models import Base

MIGRATIONS = str(PROJECT_ROOT / "migrations")


def _targets(tmp_path):
    yield "sqlite", f"sqlite:///{tmp_path / 'migrate.db'}"
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        name = f"herald_migrate_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield "postgresql", url.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_upgrade_matches_models_and_downgrade_removes_everything(tmp_path, app_settings):
    ran = []
    for dialect, url in _targets(tmp_path):
        app = create_app({**app_settings, "database_url": url})
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
                tables = set(inspect(conn).get_table_names())
            assert diff == [], f"{dialect}: models and migrations differ: {diff}"
            assert set(Base.metadata.tables) <= tables
            downgrade(directory=MIGRATIONS, revision="base")
            with db.engine.connect() as conn:
                left = set(inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
            db.engine.dispose()
        ran.append(dialect)
    assert "sqlite" in ran
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert "postgresql" in ran


@pytest.mark.parametrize("column", ["send_after", "created_at"])
def test_datetimes_come_back_timezone_aware(app, org, column):
    from webapp.models import Message, utcnow

    message = Message(org_id=org.id, to_email="a@example.com", send_after=utcnow())
    db.session.add(message)
    db.session.commit()
    db.session.expire_all()
    value = getattr(db.session.get(Message, message.id), column)
    assert value.tzinfo is not None
