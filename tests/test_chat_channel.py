"""The organization's Slack/Teams incoming webhook: set on the settings page (kept encrypted,
never shown again), it receives each candidate's answer and Herald's sending alerts. The
channel here is a local HTTP receiver on 127.0.0.1 standing in for Slack."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.chat import ChatDeliveryFailed, post_text
from tests.support import factories
from webapp.extensions import db
from webapp.models import Organization
from webapp.services.interviews import links as interview_links
from webapp.services.queues import get_queue
from webapp.services.sending import guardrails


class Receiver:
    def __init__(self, status: int = 200):
        self.bodies: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/XXXX"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def run_chat_jobs() -> int:
    """Run what was enqueued for the channel, as a worker would."""
    queue = get_queue()
    jobs = [job for job in queue.jobs if job.func_name == "jobs.chat.post_text"]
    for job in jobs:
        post_text(*job.args)
        job.delete()
    return len(jobs)


def save_settings(client, org, **extra):
    data = {"name": org.name, "timezone": "UTC", "reminder_offsets": "24, 2",
            "postal_address": org.postal_address, "notify_candidates": "y", **extra}  # fmt: skip
    return client.post("/settings/", data=data)


def test_the_channel_is_set_once_kept_secret_and_gets_every_answer(
    logged_in, client, org, receiver
):
    assert save_settings(logged_in, org, chat_webhook_url=receiver.url).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Organization, org.id).settings["chat_webhook_url"]
    assert receiver.url not in stored  # encrypted at rest
    page = logged_in.get("/settings/").text
    assert "A chat channel is set" in page and receiver.url not in page
    save_settings(logged_in, org)  # saving without a URL keeps the channel
    db.session.expire_all()
    assert db.session.get(Organization, org.id).settings.get("chat_webhook_url") == stored

    candidate = factories.make_candidate(org, "ada@example.com", first_name="Ada")
    entry = factories.make_shortlist(org, candidates=[candidate]).entries[0]
    db.session.commit()
    url = interview_links.invite_url(entry).split("herald.test", 1)[1]
    client.post(url, data={"action": "decline"})
    assert run_chat_jobs() == 1
    (body,) = receiver.bodies
    assert body["text"].startswith("Ada Idate declined: Backend Engineer interview")
    assert "/responses/" in body["text"] and "ada@example.com" not in body["text"]


def test_sending_alerts_reach_the_channel_and_a_refusing_channel_fails_the_job(app, org, receiver):
    from webapp.services.notify import chat

    chat.set_url(org, receiver.url)
    db.session.commit()
    guardrails.notify_admins(org.id, "Bulk sending is paused", "Too many complaints.\n\nMore.")
    db.session.commit()
    assert run_chat_jobs() == 1
    assert receiver.bodies == [{"text": "[Herald] Bulk sending is paused: Too many complaints."}]
    receiver.status = 404  # the channel was deleted in Slack
    with pytest.raises(ChatDeliveryFailed, match="HTTP 404"):
        post_text(str(org.id), "hello")


def test_a_bad_url_is_refused_with_a_message_and_removing_stops_posting(logged_in, org):
    response = save_settings(logged_in, org, chat_webhook_url="javascript:alert(1)")
    assert response.status_code == 200 and "starting with https://" in response.text
    from webapp.services.notify import chat

    chat.set_url(org, "https://hooks.slack.com/services/T/B/X")
    db.session.commit()
    save_settings(logged_in, org, remove_chat_webhook="y")
    db.session.expire_all()
    assert not chat.has_url(db.session.get(Organization, org.id))
    guardrails.notify_admins(org.id, "Bulk sending is paused", "x")
    db.session.commit()
    assert run_chat_jobs() == 0
