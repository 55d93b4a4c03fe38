"""Herald as production runs it, on 127.0.0.1: gunicorn (the README's command), ``herald
worker`` processes, ``herald scheduler``, and Postfix's ``smtp-sink`` as the relay.

``Stack`` starts them as separate processes with one environment and stops them (each by its
own pid); ``cpu_seconds()`` sums the CPU time of every Herald process (gunicorn's master and
workers, the workers, the scheduler), the figure that does not move with the machine's load.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from benchmarks.common import cpu_seconds, free_port, process_tree

ROOT = Path(__file__).resolve().parent.parent
SMTP_SINK = "/usr/sbin/smtp-sink"
# The README's production command (``tests/test_readme.py`` keeps the two the same); only the
# address differs: benchmarks listen on 127.0.0.1.
GUNICORN_ARGS = ("--worker-class", "gthread", "--workers", "2", "--threads", "4")
README_COMMAND = f"gunicorn {' '.join(GUNICORN_ARGS)} --bind 0.0.0.0:8000 wsgi:app"


class Stack:
    def __init__(self, database_url: str, redis_url: str, *, workers: int = 2, web: bool = True):
        self.instance = Path(tempfile.mkdtemp(prefix="herald-bench-stack-"))
        self.smtp_port, self.web_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SECRET_KEY="bench-secret-key",  # noqa: S106 - a throwaway key for a throwaway database
            HERALD_INSTANCE_PATH=str(self.instance),
            HERALD_PUBLIC_URL="https://herald.example.com",
            HERALD_SMTP_HOST="127.0.0.1",
            HERALD_SMTP_PORT=str(self.smtp_port),
            HERALD_DEV_INBOX="false",
            HERALD_LOG_LEVEL="WARNING",
            # The benchmark measures what the pipeline can do; the defaults are a policy.
            HERALD_ORG_RATE_PER_SECOND="1000000",
            HERALD_DOMAIN_RATE_PER_SECOND="1000000",
            HERALD_PUBLIC_RATE_LIMIT="1000000",
        )
        self.workers, self.web = workers, web
        self.processes: list[subprocess.Popen] = []

    def overrides(self) -> dict:
        return {
            "database_url": self.env["DATABASE_URL"],
            "redis_url": self.env["REDIS_URL"],
            "secret_key": self.env["SECRET_KEY"],
            "instance_path": self.instance,
            "public_url": self.env["HERALD_PUBLIC_URL"],
            "smtp_port": self.smtp_port,
            "log_level": "WARNING",
        }

    def __enter__(self) -> Stack:
        herald = [sys.executable, "-m", "flask", "--app", "wsgi", "herald"]
        self._start([SMTP_SINK, "-u", "postfix", f"127.0.0.1:{self.smtp_port}", "256"])
        self.sink = self.processes[-1]
        for _ in range(self.workers):
            self._start([*herald, "worker"])
        self._start([*herald, "scheduler"])
        if self.web:
            gunicorn = str(Path(sys.executable).with_name("gunicorn"))
            bind = f"127.0.0.1:{self.web_port}"
            self._start([gunicorn, *GUNICORN_ARGS, "--bind", bind, "wsgi:app"])
            self._wait_ready()
        time.sleep(2.0)  # workers import the app and connect
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def _start(self, command: list[str]) -> None:
        self.processes.append(
            subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=sys.stderr
            )
        )

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not become ready")

    def herald_pids(self) -> list[int]:
        pids = []
        for process in self.processes:
            if process is not self.sink:
                pids += process_tree(process.pid)
        return pids

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.herald_pids())


class Browser:
    """A signed-in dashboard session over HTTP: cookies, and the CSRF token of each page."""

    CSRF = re.compile(
        r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
    )

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def token(self, page: str) -> str:
        """The CSRF token of a page's forms."""
        match = self.CSRF.search(self.get(page))
        if match is None:
            raise RuntimeError(f"no CSRF token on {page}")
        return match.group(1) or match.group(2)

    def post(self, path: str, form: dict[str, str], token: str) -> int:
        import urllib.parse

        data = urllib.parse.urlencode({**form, "csrf_token": token}).encode()
        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            self.base + path, data=data, method="POST"
        )
        with self.opener.open(request, timeout=60) as response:
            return response.status

    def login(self, email: str, password: str) -> None:
        self.post("/login", {"email": email, "password": password}, self.token("/login"))
