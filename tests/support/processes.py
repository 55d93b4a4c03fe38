"""The environment a Herald process started by a test gets: the test's database, Redis,
secret key and instance folder, quiet logs, no dev inbox, plus what the test adds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


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


def start_run_dev(app, app_settings, instance: Path, web_port: int, **extra: str):
    """``herald run-dev`` as ``make run`` starts it, in its own process group, on the test's
    database and Redis, with the processes' ports and levels in ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERALD_", "FLASK"))}
    env.update(
        DATABASE_URL=app_settings["database_url"],
        REDIS_URL=app.config["HERALD_REDIS_URL"],
        SECRET_KEY=app.config["HERALD"].secret_key,
        HERALD_INSTANCE_PATH=str(instance),
        **extra,
    )
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "run-dev"]
    return subprocess.Popen(
        [*command, "--port", str(web_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop_process_group(proc: subprocess.Popen) -> None:
    """Ctrl-C to the whole group, as a terminal would; SIGKILL if it does not stop."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
