""" "Forgot password" from outside: the form answers the same for every address, the email
goes through a real worker to a real SMTP server, its link sets a password once, ends every
other sign-in and expires; requests are limited per client and per address; another admin of
the organization cannot read the link on the message page."""

from __future__ import annotations

import email
import re
import time

from sqlalchemy import select

from tests.support import factories
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import AuditLog, Message
from webapp.services.queues import TRANSACTIONAL

LINK = re.compile(r"https?://\S+/reset-password/[A-Za-z0-9_.\-]+")


def ask(client, address: str) -> str:
    response = client.post("/forgot-password", data={"email": address})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text_of(data: bytes) -> str:
    mail = email.message_from_bytes(data)
    return "".join(
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )


def links_in(smtp_server, address: str) -> list[str]:
    found = []
    for item in smtp_server.received:
        if item.rcpt_tos == [address]:
            found += LINK.findall(text_of(item.data))
    return found


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    user,
):
    known = ask(client, user.email)
    unknown = ask(client, "nobody@acme.example")
    assert "Check your email" in known
    assert known.replace(user.email, "ADDRESS") == unknown.replace("nobody@acme.example", "ADDRESS")
    run_burst(worker_env, TRANSACTIONAL)
    assert [r.rcpt_tos for r in smtp_server.received] == [[user.email]]
    mail = email.message_from_bytes(smtp_server.received[0].data)
    assert mail["Subject"] == "Reset your Herald password"
    assert len(links_in(smtp_server, user.email)) == 1
    assert "works for 60 minutes, and only once" in text_of(smtp_server.received[0].data)


def test_the_link_sets_a_password_once_ends_other_sign_ins_and_is_audited(
    worker_env,  # noqa: F811
    smtp_server,
    app,
    user,
    org,
):
    elsewhere = app.test_client()  # signed in on another computer
    assert elsewhere.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert elsewhere.get("/").status_code == 200

    client = app.test_client()
    ask(client, user.email)
    run_burst(worker_env, TRANSACTIONAL)
    [link] = links_in(smtp_server, user.email)
    path = link.split("herald.test", 1)[-1]
    form = client.get(path).get_data(as_text=True)
    assert "Choose a new password" in form and user.email in form

    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert "at least 10 characters" in short.get_data(as_text=True).lower()
    done = client.post(path, data={"password": "a-new-secret-42", "confirm": "a-new-secret-42"})
    assert done.status_code == 302 and "/login" in done.headers["Location"]

    assert elsewhere.get("/").status_code == 302  # the other sign-in has ended
    old = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert "do not match" in old.get_data(as_text=True)
    new = client.post("/login", data={"email": user.email, "password": "a-new-secret-42"})
    assert new.status_code == 302

    again = app.test_client().get(path)
    assert again.status_code == 404 and "This link is not valid" in again.get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.org_id == org.id)).all()
    assert {"auth.password_reset_requested", "auth.password_reset"} <= set(actions)


def test_a_link_older_than_the_setting_is_not_valid(worker_env, smtp_server, app, client, user):  # noqa: F811
    ask(client, user.email)
    run_burst(worker_env, TRANSACTIONAL)
    [link] = links_in(smtp_server, user.email)
    app.config["HERALD"].password_reset_minutes = 1 / 60  # links now work for one second
    time.sleep(2.1)
    expired = client.get(link.split("herald.test", 1)[-1])
    assert expired.status_code == 404 and "This link is not valid" in expired.get_data(as_text=True)
    tampered = client.get(link.split("herald.test", 1)[-1][:-3] + "abc")
    assert tampered.status_code == 404


def test_a_password_changed_since_makes_the_link_invalid(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    user,
):
    ask(client, user.email)
    ask(client, user.email)
    run_burst(worker_env, TRANSACTIONAL)
    first, second = (link.split("herald.test", 1)[-1] for link in links_in(smtp_server, user.email))
    client.post(first, data={"password": "a-new-secret-42", "confirm": "a-new-secret-42"})
    assert client.get(second).status_code == 404  # the other link was for the old password


def test_requests_are_limited_per_address_and_per_client(
    worker_env,  # noqa: F811
    smtp_server,
    app,
    user,
):
    answers = [ask(app.test_client(), user.email) for _ in range(5)]
    assert len(set(answers)) == 1  # the fourth and fifth look the same...
    run_burst(worker_env, TRANSACTIONAL)
    assert len(smtp_server.received) == 3  # ...but the inbox gets three emails an hour

    app.config["HERALD"].login_rate_limit = 2
    client = app.test_client()
    assert ask(client, "a@example.com") and ask(client, "b@example.com")
    limited = client.post("/forgot-password", data={"email": "c@example.com"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_a_malformed_address_is_answered_next_to_the_field(client):
    page = client.post("/forgot-password", data={"email": "not an address"})
    text = page.get_data(as_text=True)
    assert "That is not an email address." in text and 'value="not an address"' in text


def test_colleagues_cannot_read_the_reset_link_on_the_message_page(
    worker_env,  # noqa: F811
    smtp_server,
    app,
    org,
    user,
    login_as,
):
    admin = factories.make_user("admin@acme.example", org=org, role="admin")
    db.session.commit()
    ask(app.test_client(), user.email)
    run_burst(worker_env, TRANSACTIONAL)
    message = db.session.scalars(select(Message)).one()
    client = login_as(admin, org=org)
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    frame = client.get(f"/messages/{message.id}/preview").get_data(as_text=True)
    assert "Reset your Herald password" in page and "its content is not shown" in page
    assert "/reset-password/" not in page + frame
