"""Unsubscribe links: one-click POST (C3), GET never changes state (C4), uniform 404 (C5),
re-checked right before SMTP (C6), working across secret-key rotation (C8)."""

from __future__ import annotations

import email
import email.policy
import re
import uuid

import pytest
from sqlalchemy import func, select

from jobs import sending
from tests.test_tracking_helpers import make_sent_message, run_drain
from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditLog, Message, Preference, StatRollup, Suppression, WebhookDelivery
from webapp.services.consent.suppressions import is_suppressed
from webapp.services.links import unsubscribe_url
from webapp.services.notify import webhooks as outgoing_webhooks
from webapp.services.sending.outbox import create_message
from webapp.services.tokens import make_token

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def table_counts() -> tuple[int, ...]:
    models = (Suppression, Preference, AuditLog, WebhookDelivery)
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_without_cookies_and_is_idempotent(app, org, encoding):
    client = app.test_client(use_cookies=False)
    message = make_sent_message(org, "Ada@Example.com")
    url = path(unsubscribe_url(org.id, message.to_email, message.id))
    kwargs = {"data": ONE_CLICK}
    if encoding == "multipart":
        kwargs["content_type"] = "multipart/form-data"
    first = client.post(url, **kwargs)
    assert first.status_code == 200 and "Location" not in first.headers
    assert is_suppressed(org.id, "ada@example.com")
    again = client.post(url, **kwargs)
    assert again.status_code == 200 and "Location" not in again.headers
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 1


def test_get_shows_a_branded_page_with_choices_and_changes_nothing(client, org):
    org.brand.primary_color = "#aa3300"
    db.session.commit()
    message = make_sent_message(org)
    before = table_counts()
    response = client.get(path(unsubscribe_url(org.id, message.to_email, message.id)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unsubscribe from everything" in page and "Interview reminders" in page
    assert "#aa3300" in page and org.name in page
    assert table_counts() == before
    assert not is_suppressed(org.id, message.to_email)


def test_bad_tokens_get_one_uniform_404_and_write_nothing(app, client, org, other_org):
    """Every dead link naming an organization gets that organization's one "no longer valid"
    page, whatever is wrong with it (so nothing tells whether an address or message exists);
    a link naming no organization gets the same page without a brand."""
    theirs = make_sent_message(other_org, "bob@example.com")
    mine = make_sent_message(org, "ada@example.com")
    good = path(unsubscribe_url(org.id, mine.to_email, mine.id))
    naming_org = [
        good[:-5] + "xxxxx",
        "/u/" + make_token("unsubscribe", [str(org.id), str(theirs.id), "bob@example.com"]),
        "/u/" + make_token("click", [str(org.id), str(mine.id), "ada@example.com"]),
        "/u/" + make_token("unsubscribe", [str(org.id), str(uuid.uuid4()), "who@example.com"]),
    ]
    naming_none = [
        "/u/nonsense",
        "/u/"
        + make_token("unsubscribe", ["0190f0e0-0000-7000-8000-000000000000", "", "x@example.com"]),
    ]
    before = table_counts()
    for urls, expected in ((naming_org, f"contact {org.name}"), (naming_none, "the organization")):
        bodies = set()
        for url in urls:
            for response in (client.get(url), client.post(url, data=ONE_CLICK)):
                assert response.status_code == 404, url
                bodies.add(response.get_data(as_text=True))
        assert len(bodies) == 1, "every failure looks the same"
        (body,) = bodies
        assert "This link is no longer valid" in body and expected in body
        assert "ada@example.com" not in body and "bob@example.com" not in body
        assert "dashboard" not in body.lower()
    assert table_counts() == before


def test_unsubscribe_keeps_working_across_secret_key_rotation(app_settings, org):
    message = make_sent_message(org)
    url = path(unsubscribe_url(org.id, message.to_email, message.id))
    rotated = create_app(
        {
            **app_settings,
            "secret_key": "a-brand-new-key",
            "old_secret_keys": ["test-secret-key-for-herald"],
        }
    )
    with rotated.app_context():
        client = rotated.test_client()
        assert client.get(url).status_code == 200
        assert client.post(url, data=ONE_CLICK).status_code == 200
        assert is_suppressed(org.id, message.to_email)
    dropped = create_app({**app_settings, "secret_key": "a-brand-new-key"})
    with dropped.app_context():
        assert dropped.test_client().get(url).status_code == 404


def test_unsubscribe_from_received_mail_stops_a_message_queued_before(smtp_server, app, org):
    bulk = {"is_transactional": False, "category": "invitations"}
    first = create_message(
        org.id, to_email="ada@example.com", raw_subject="Hi", raw_html="<p>Hi</p>", **bulk
    )
    queued_before = create_message(
        org.id, to_email="ada@example.com", raw_subject="Again", raw_html="<p>Again</p>", **bulk
    )
    db.session.commit()
    sending.send_message(str(first.id))
    mail = email.message_from_bytes(smtp_server.received[0].data, policy=email.policy.default)
    link = re.search(r"<(https?://[^>]+)>", mail["List-Unsubscribe"]).group(1)
    response = app.test_client(use_cookies=False).post(path(link), data=ONE_CLICK)
    assert response.status_code == 200
    sending.send_message(str(queued_before.id))
    assert len(smtp_server.received) == 1, "nothing more reached the SMTP server"
    assert db.session.get(Message, queued_before.id).status == "suppressed"


def test_unsubscribe_emits_webhook_and_counts_in_stats(app, org):
    outgoing_webhooks.create_endpoint(org.id, url="http://127.0.0.1:9/hook")
    db.session.commit()
    message = make_sent_message(org)
    client = app.test_client(use_cookies=False)
    url = path(unsubscribe_url(org.id, message.to_email, message.id))
    client.post(url, data=ONE_CLICK)
    client.post(url, data=ONE_CLICK)
    run_drain()
    hooks = db.session.scalars(select(WebhookDelivery)).all()
    assert [h.event_type for h in hooks] == ["recipient.unsubscribed"]
    assert hooks[0].payload["data"]["email"] == message.to_email
    total = db.session.scalar(
        select(func.sum(StatRollup.count)).where(StatRollup.metric == "unsubscribed")
    )
    assert total == 1
