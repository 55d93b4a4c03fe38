"""Outgoing webhooks cannot be aimed inside the deployment's network (SSRF), and do not follow
redirects; the refusal is recorded on the delivery so the admin sees why."""

from sqlalchemy import select

from tests.test_outgoing_webhooks import endpoint_for, receiver  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import WebhookDelivery
from webapp.services import egress
from webapp.services.notify import webhooks as outgoing_webhooks


def test_private_addresses_are_refused_and_nothing_is_posted(app, org, receiver):  # noqa: F811
    app.config["HERALD"].webhook_allow_private = False
    endpoint_for(org, receiver)
    outgoing_webhooks.emit(org.id, "message.sent", {"message_id": "m1"})
    db.session.commit()
    outgoing_webhooks.deliver_due()
    assert receiver.received == []
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status == "pending"  # retried later, like any failure
    assert "private or local address (127.0.0.1)" in delivery.last_error


def test_public_and_private_addresses_are_told_apart():
    assert egress.private_address_problem("http://10.1.2.3/hook").startswith("refused")
    assert egress.private_address_problem("http://[::1]:8080/hook").startswith("refused")
    assert egress.private_address_problem("http://169.254.169.254/latest").startswith("refused")
    assert egress.private_address_problem("https://93.184.215.14/hook") is None


def test_redirects_are_not_followed(app, org, receiver):  # noqa: F811
    receiver.status = 302
    receiver.response_headers = {"Location": receiver.url + "/elsewhere"}
    endpoint_for(org, receiver)
    outgoing_webhooks.emit(org.id, "message.sent", {"message_id": "m1"})
    db.session.commit()
    outgoing_webhooks.deliver_due()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.last_status_code == 302
    assert delivery.status == "pending"
    assert len(receiver.received) == 1
