"""Outgoing webhooks: signed posts verified by a receiver written here, retry with backoff,
automatic disabling with a notice to admins, manual replay."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Message, WebhookDelivery, WebhookEndpoint, utcnow
from webapp.services.notify import webhooks as outgoing_webhooks


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that checks Standard Webhooks signatures itself."""

    def __init__(self):
        self.secret = ""
        self.status = 204
        self.response_headers: dict[str, str] = {}
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "valid": receiver.valid(self.headers, body),
                    }
                )
                self.send_response(receiver.status)
                for name, value in receiver.response_headers.items():
                    self.send_header(name, value)
                self.end_headers()

            def do_GET(self):  # only reached by following a redirect
                receiver.received.append({"method": "GET", "path": self.path})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def valid(self, headers, body: bytes) -> bool:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        given = [s.removeprefix("v1,") for s in headers["webhook-signature"].split()]
        return any(hmac.compare_digest(expected, g) for g in given)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


def endpoint_for(org, receiver, **fields):
    endpoint = outgoing_webhooks.create_endpoint(org.id, url=receiver.url, **fields)
    db.session.commit()
    receiver.secret = outgoing_webhooks.endpoint_secret(endpoint)
    return endpoint


def test_events_are_posted_signed_and_filtered(app, org, receiver):
    endpoint_for(org, receiver, event_types=["recipient.unsubscribed"])
    outgoing_webhooks.emit(org.id, "recipient.unsubscribed", {"email": "ada@example.com"})
    outgoing_webhooks.emit(org.id, "message.opened", {"message_id": "m1"})  # not subscribed
    db.session.commit()
    assert outgoing_webhooks.deliver_due() == 1
    [hit] = receiver.received
    assert hit["valid"], "the receiver verified the signature"
    assert hit["headers"]["webhook-id"].startswith("msg_")
    payload = json.loads(hit["body"])
    assert payload["type"] == "recipient.unsubscribed"
    assert payload["data"] == {"email": "ada@example.com"}
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status == "delivered" and delivery.last_status_code == 204


def test_failures_retry_with_backoff_then_succeed(app, org, receiver):
    endpoint = endpoint_for(org, receiver)
    receiver.status = 500
    outgoing_webhooks.emit(org.id, "campaign.completed", {"campaign_id": "c1"})
    db.session.commit()
    outgoing_webhooks.deliver_due()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=3)
    assert outgoing_webhooks.deliver_due() == 0, "not due yet"
    receiver.status = 200
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    outgoing_webhooks.deliver_due()
    db.session.refresh(delivery)
    db.session.refresh(endpoint)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert endpoint.consecutive_failures == 0
    ids = {hit["headers"]["webhook-id"] for hit in receiver.received}
    assert len(ids) == 1, "a retry keeps its webhook-id so receivers can deduplicate"


def test_persistent_failure_disables_the_endpoint_and_tells_admins(app, org, user, receiver):
    endpoint = endpoint_for(org, receiver)
    receiver.status = 503
    outgoing_webhooks.emit(org.id, "campaign.completed", {"campaign_id": "c1"})
    db.session.commit()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    delivery.created_at = utcnow() - timedelta(hours=24, minutes=1)  # a day of failures
    delivery.attempts = 6
    db.session.commit()
    outgoing_webhooks.deliver_due()
    db.session.refresh(endpoint)
    db.session.refresh(delivery)
    assert delivery.status == "failed" and "503" in delivery.last_error
    assert not endpoint.is_enabled and endpoint.disabled_at is not None
    notice = db.session.scalars(select(Message).where(Message.kind == "notice")).one()
    assert notice.to_email == user.email and "disabled" in notice.raw_subject
    outgoing_webhooks.emit(org.id, "campaign.completed", {"campaign_id": "c2"})
    assert db.session.scalars(select(WebhookDelivery)).all() == [delivery], "no new deliveries"


def test_unreachable_endpoint_is_a_failed_attempt_not_a_crash(app, org, receiver):
    endpoint_for(org, receiver)
    receiver.server.shutdown()
    receiver.server.server_close()
    outgoing_webhooks.emit(org.id, "campaign.completed", {"campaign_id": "c1"})
    db.session.commit()
    outgoing_webhooks.deliver_due()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status == "pending" and "could not connect" in delivery.last_error


def test_dashboard_lists_deliveries_and_replays(logged_in, org, receiver):
    endpoint = endpoint_for(org, receiver)
    outgoing_webhooks.emit(org.id, "campaign.completed", {"campaign_id": "c1"})
    db.session.commit()
    outgoing_webhooks.deliver_due()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    page = logged_in.get("/settings/webhooks").get_data(as_text=True)
    assert receiver.url in page and "campaign.completed" in page and "delivered" in page
    response = logged_in.post(f"/settings/webhooks/deliveries/{delivery.id}/replay")
    assert response.status_code == 302
    outgoing_webhooks.deliver_due()
    assert len(receiver.received) == 2
    assert endpoint.id is not None


def test_admin_adds_an_endpoint_with_an_event_filter(logged_in, org):
    response = logged_in.post(
        "/settings/webhooks",
        data={"url": "https://hooks.example.com/in", "event_types": ["message.bounced"]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "whsec_" in page, "the secret is shown once added"
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.event_types == ["message.bounced"]
    bad = logged_in.post("/settings/webhooks", data={"url": "ftp://nope"})
    assert bad.status_code == 422 and 'value="ftp://nope"' in bad.get_data(as_text=True)


def test_emit_kicks_a_worker_that_delivers_after_the_commit(app, org, receiver):
    from jobs.worker import run_worker
    from webapp.services.queues import get_queue

    endpoint_for(org, receiver)
    outgoing_webhooks.emit(org.id, "candidate.responded", {"candidate_id": "c1"})
    assert len(get_queue()) == 0, "nothing is enqueued before the commit"
    db.session.commit()
    assert [job.func_name for job in get_queue().jobs] == ["jobs.webhooks.deliver_due"]
    run_worker(app, ["default"], burst=True)
    assert len(receiver.received) == 1 and receiver.received[0]["valid"]
