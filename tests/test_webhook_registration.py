"""Webhook endpoints at loopback, private, link-local or oddly spelled addresses are refused
when they are registered (API POST and PATCH, the settings form), with a message next to the
URL, unless HERALD_WEBHOOK_ALLOW_PRIVATE. Registration and delivery use one rule.

The corpus covers the class: every spelling the system resolver turns into an inside address
(decimal, hex, octal, short forms, IPv6 loopback and unspecified, IPv4-mapped, NAT64 and 6to4
wrappings, unique-local, link-local with a zone, cloud metadata, names in /etc/hosts and
names an internal DNS answers), and URLs two parsers read differently.
"""

from __future__ import annotations

import html
import socket

import pytest
from sqlalchemy import func, select

from tests.test_api_helpers import api  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import WebhookDelivery, WebhookEndpoint
from webapp.services import egress
from webapp.services.notify import webhooks as outgoing_webhooks

INSIDE = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/hook",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:5000/x",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[fd00::1]/",
    "http://[fc00::abcd]/",
    "http://[fe80::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "https://hooks.internal.example/herald",  # the (test) internal DNS answers 10.1.2.3
    "https://\u2460\u2461\u2466.0.0.1/",  # circled digits: IDNA maps them to 127.0.0.1
]
MISLEADING = [
    "http://user@hooks.acme.example/",
    "http://user:pw@hooks.acme.example/",
    "http://hooks.acme.example\\@127.0.0.1/",
    "http://hooks.acme.example%2F@127.0.0.1/",
    "http://127.0.0.1%2e/",
    "http://[fe80::1%25lo]/",
    "http://hooks.acme.example /x",
    "http://hooks.acme.example/x\r\nHost: 127.0.0.1",
    "http://hooks.acme.example:99999/",
    "http://hooks.acme.example:port/",
    "ftp://hooks.acme.example/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "http:///x",
]
PUBLIC = [
    "https://93.184.215.14/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://hooks.acme.example/herald",  # does not resolve here: deliveries retry later
]


@pytest.fixture
def private_refused(app, monkeypatch):
    app.config["HERALD"].webhook_allow_private = False
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        if str(host).rstrip(".").lower() == "hooks.internal.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)


def endpoint_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


def test_the_api_refuses_inside_and_misleading_urls_with_422(api, private_refused):  # noqa: F811
    for url in INSIDE + MISLEADING:
        response = api.post("/webhook-endpoints", json={"url": url})
        assert response.status_code == 422, url
        assert response.mimetype == "application/problem+json"
        errors = response.get_json()["errors"]
        assert {error["field"] for error in errors} == {"url"}
        if url in INSIDE and url.isascii():  # the document allows ASCII URIs only
            assert "private network" in errors[0]["message"], (url, errors)
    assert endpoint_count() == 0
    for url in PUBLIC:
        assert api.post("/webhook-endpoints", json={"url": url}).status_code == 201, url
    assert endpoint_count() == len(PUBLIC)


def test_patch_cannot_move_an_endpoint_inside(api, private_refused):  # noqa: F811
    created = api.post("/webhook-endpoints", json={"url": PUBLIC[0]}).get_json()
    for url in INSIDE + MISLEADING:
        response = api.patch(f"/webhook-endpoints/{created['id']}", json={"url": url})
        assert response.status_code == 422, url
    assert db.session.scalars(select(WebhookEndpoint.url)).all() == [PUBLIC[0]]


def test_the_settings_form_shows_the_reason_next_to_the_url(logged_in, private_refused):
    for url in ["http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://localhost/x"]:
        response = logged_in.post("/settings/webhooks", data={"url": url, "description": "d"})
        assert response.status_code == 422
        page = html.unescape(response.get_data(as_text=True))
        assert "points inside a private network" in page
        assert "webhooks are only sent to public addresses" in page
        assert f'value="{url}"' in page, "what the user typed stays in the field"
    response = logged_in.post("/settings/webhooks", data={"url": "http://user:pw@a.example/"})
    assert "must not contain a user name or password" in html.unescape(response.get_data(True))
    assert endpoint_count() == 0
    response = logged_in.post("/settings/webhooks", data={"url": PUBLIC[0]})
    assert response.status_code == 200 and endpoint_count() == 1


def test_allow_private_lets_local_receivers_register(api, app):  # noqa: F811
    app.config["HERALD"].webhook_allow_private = True
    assert api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/x"}).status_code == 201
    # The shape rule holds even then: a URL two parsers read differently is never registered.
    response = api.post("/webhook-endpoints", json={"url": "http://a.example\\@127.0.0.1/"})
    assert response.status_code == 422


def test_delivery_applies_the_same_rule_to_rows_registered_before(app, org, private_refused):
    for url in INSIDE[:3] + MISLEADING[:3]:
        outgoing_webhooks.create_endpoint(org.id, url=url)  # as an older release stored them
    outgoing_webhooks.emit(org.id, "message.sent", {"message_id": "m1"})
    db.session.commit()
    outgoing_webhooks.deliver_due()
    errors = db.session.scalars(select(WebhookDelivery.last_error)).all()
    assert len(errors) == 6 and all(error.startswith("refused") for error in errors), errors


def test_registration_and_delivery_agree_on_every_case(private_refused):
    for url in INSIDE + MISLEADING:
        registration = egress.registration_problem(url, allow_private=False)
        delivery = egress.destination_problem(url, allow_private=False)
        assert registration and delivery and delivery.startswith("refused"), url
    for url in PUBLIC[:2]:
        assert egress.registration_problem(url, allow_private=False) is None
        assert egress.destination_problem(url, allow_private=False) is None
