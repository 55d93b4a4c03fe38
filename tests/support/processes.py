"""The environment a Herald process started by a test gets: the test's database, Redis,
secret key and instance folder, quiet logs, no dev inbox, plus what the test adds."""

from __future__ import annotations

import os


def process_env(app, app_settings, **extra: str) -> dict[str, str]:
    settings = app.config["HERALD"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app_settings["database_url"],
        REDIS_URL=app.config["HERALD_REDIS_URL"],
        SECRET_KEY=settings.secret_key,
        HERALD_INSTANCE_PATH=str(settings.instance_path),
        HERALD_PUBLIC_URL=settings.public_url,
        HERALD_LOG_LEVEL="WARNING",
        HERALD_DEV_INBOX="false",
        **extra,
    )
    return env
