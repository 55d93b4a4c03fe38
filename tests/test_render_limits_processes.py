"""Runaway templates against real processes (REQUIREMENTS T3): a gunicorn web server keeps
answering while a hostile template is being stopped, and a real RQ worker fails a message
whose hostile part only runs for one recipient, then goes on sending."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.processes import process_env as herald_env
from tests.support.smtp import free_port
from tests.test_api_helpers import make_key
from webapp.extensions import db
from webapp.models import Message
from webapp.services.rendering import TemplateSource
from webapp.services.sending.outbox import create_message
from webapp.services.templates.library import TemplateDraft, save_template

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 1500
MACRO = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
SLOW = MACRO + "{{ f(60) }}"  # 2**60 calls: only the deadline stops it
HUGE = "{{ ((((9**64)**64)**64)**64) > 1 }}"


def body(line: str) -> str:
    return f"<mj-section>\n<mj-column>\n<mj-text>{line}</mj-text>\n</mj-column>\n</mj-section>"


@pytest.fixture
def process_env(app, app_settings):
    return herald_env(app, app_settings, HERALD_RENDER_TIMEOUT_MS=str(TIMEOUT_MS))


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- the web server -------------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", "1", "--threads", "4", "--timeout", "30", "wsgi:app"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def up(self) -> bool:
        try:
            return self.request("GET", "/healthz", timeout=1)[0] == 200
        except OSError:
            return False

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, errors = self.process.communicate(timeout=30)
        return errors.decode(errors="replace")


@pytest.fixture
def server(process_env):
    running = Server(process_env)
    try:
        wait_for(running.up, timeout=60)
        yield running
    finally:
        if running.process.poll() is None:
            running.stop()


def test_web_process_answers_while_a_hostile_template_is_stopped(server, org):
    key = {"Authorization": f"Bearer {make_key(org)}"}
    outcome = {}

    def post(name: str, line: str) -> None:
        started = time.monotonic()
        status, raw = server.request("POST", "/api/v1/templates", headers=key, body={
            "name": name, "type": "follow_up", "category": "updates", "subject": "Hi",
            "body_mjml": body(line)})  # fmt: skip
        outcome[name] = (status, json.loads(raw), time.monotonic() - started)

    hostile = [threading.Thread(target=post, args=(name, line))
               for name, line in (("slow", SLOW), ("huge", HUGE))]  # fmt: skip
    for thread in hostile:
        thread.start()
    answered = []
    while any(thread.is_alive() for thread in hostile):
        started = time.monotonic()
        status, _ = server.request("GET", "/healthz", timeout=5)
        answered.append((status, time.monotonic() - started))
        time.sleep(0.05)
    for thread in hostile:
        thread.join()

    status, problem, seconds = outcome["slow"]
    assert status == 422 and seconds < TIMEOUT_MS / 1000 + 1.5
    assert any("line 3: The template took longer than 1.5 s" in e["message"]
               for e in problem["errors"]), problem  # fmt: skip
    status, problem, seconds = outcome["huge"]
    assert status == 422 and seconds < 1.5
    assert "line 3: Whole numbers are limited to 40 digits." in problem["errors"][0]["message"]
    # the other requests were answered, quickly, while the slow one was being stopped
    assert len(answered) >= 5
    assert all(status == 200 for status, _ in answered)
    assert max(seconds for _, seconds in answered) < 1.0
    # and the same process goes on serving ordinary work
    status, raw = server.request("POST", "/api/v1/templates", headers=key, body={
        "name": "Fine", "type": "follow_up", "category": "updates", "subject": "Hi",
        "body_mjml": body("Hello {{ candidate.first_name }}")})  # fmt: skip
    assert status == 201, raw
    assert "WORKER TIMEOUT" not in server.stop()


# --- the worker -------------------------------------------------------------------------------


def start_worker(env: dict[str, str], smtp_port: int) -> subprocess.Popen:
    env = {**env, "HERALD_SMTP_HOST": "127.0.0.1", "HERALD_SMTP_PORT": str(smtp_port)}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "herald", "worker", "transactional"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def status_of(message_id) -> tuple[str, str]:
    db.session.expire_all()
    message = db.session.scalars(select(Message).where(Message.id == message_id)).one()
    return message.status, message.last_error or ""


def test_send_of_a_hostile_branch_fails_the_message_and_the_worker_goes_on(
    process_env, smtp_server, org
):
    line = (
        "Hello {{ recipient.name }}" + MACRO + "{% if recipient.name == 'Grace Hopper' %}"
        "{{ f(60) }}{% elif recipient.name == 'Alan Turing' %}" + HUGE + "{% endif %}"
    )
    source = TemplateSource(subject="Hello", preheader="", body_mjml=body(line))
    draft = TemplateDraft(name="Branchy", template_type="follow_up", category="updates",
                          source=source)  # fmt: skip
    template, result = save_template(org, None, draft, user_id=None, actor_label="test")
    assert result.errors == []  # the sample recipient takes neither branch: validation passes
    db.session.commit()
    version_id = template.current_version.id

    def send_to(name: str, address: str):
        message = create_message(org.id, to_email=address, to_name=name,
                                 template_version_id=version_id)  # fmt: skip
        db.session.commit()  # enqueued on the transactional queue after the commit
        return message.id

    worker = start_worker(process_env, smtp_server.port)
    try:
        slow_id = send_to("Grace Hopper", "grace@example.com")
        started = time.monotonic()
        wait_for(lambda: status_of(slow_id)[0] == "failed", timeout=60)
        _, reason = status_of(slow_id)
        assert "took longer than 1.5 s" in reason, reason
        huge_id = send_to("Alan Turing", "alan@example.com")
        wait_for(lambda: status_of(huge_id)[0] == "failed", timeout=30)
        assert "Whole numbers are limited to 40 digits" in status_of(huge_id)[1]
        assert worker.poll() is None  # still running
        fine_id = send_to("Ada Lovelace", "ada@example.com")
        wait_for(lambda: status_of(fine_id)[0] == "sent", timeout=30)
        assert time.monotonic() - started < 60
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    delivered = [r.rcpt_tos for r in smtp_server.received]
    assert delivered == [["ada@example.com"]]
    assert b"Hello Ada Lovelace" in smtp_server.received[0].data
