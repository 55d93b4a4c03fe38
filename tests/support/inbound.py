"""Incoming mail for tests: the sample corpus (``tests/inbound_samples``, written from each
sender's documented format, with placeholders for our addresses and ids) and a running
``herald inbound`` process on a free port."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import process_env  # noqa: F401 - the inbound tests use it from here

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT / "tests" / "inbound_samples"


def sample(name: str, **values: str) -> bytes:
    """The sample ``name``.eml with ``{{KEY}}`` placeholders filled (VERP, REPLY, FEEDBACK,
    RECIPIENT, MESSAGE_ID, HERALD_ID)."""
    text = (SAMPLES / f"{name}.eml").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key.upper() + "}}", value)
    assert "{{" not in text, f"unfilled placeholder in {name}"
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()  # as on the wire


def sample_names() -> list[str]:
    return sorted(path.stem for path in SAMPLES.glob("*.eml"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class InboundProcess:
    """``flask --app wsgi herald inbound`` as a separate process, as production runs it."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> InboundProcess:
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "inbound"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + 90  # a loaded machine starts Python slowly
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"220"):
                        return self
            except OSError:
                assert self.process.poll() is None, self.log()
                time.sleep(0.1)
        raise AssertionError("herald inbound did not start:\n" + self.log())

    def smtp(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()


def fill(message, app) -> dict[str, str]:
    """The placeholders of a sample, for a mail about ``message``."""
    from webapp.services.inbound import addresses

    settings = app.config["HERALD"]
    return {
        "verp": addresses.bounce_address(message.id, "example.com", settings),
        "reply": addresses.reply_address(message.id, "example.com", settings),
        "feedback": addresses.feedback_address(message.org_id, "example.com", settings),
        "recipient": message.to_email,
        "message_id": message.message_id_header,
        "herald_id": str(message.id),
    }
