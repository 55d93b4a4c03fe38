"""Tokens stay itsdangerous tokens (links in delivered mail keep working), and a click
redirect reads no database row (REQUIREMENTS C8, P1)."""

from __future__ import annotations

import time

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event

from tests.test_tracking_helpers import make_sent_message
from webapp.extensions import db
from webapp.services.links import click_url
from webapp.services.tokens import InvalidToken, make_token, read_token, read_token_with_time

SECRET = "test-secret-key-for-herald"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0"


def legacy(purpose: str, key: str = SECRET) -> URLSafeTimedSerializer:
    """How every token was signed before: what sits in recipients' mailboxes."""
    return URLSafeTimedSerializer([key], salt=f"herald.{purpose}")


def path(url: str) -> str:
    return url.removeprefix("http://herald.test")


def test_tokens_already_sent_still_verify_and_new_ones_verify_the_old_way(app):
    payload = ["org", "message", "ada@example.com"]
    assert read_token("unsubscribe", legacy("unsubscribe").dumps(payload)) == payload
    long = ["org", "message", 3, "https://jobs.example.com/" + "role/" * 80]  # compressed
    assert read_token("click", legacy("click").dumps(long)) == long
    for value in (payload, long, ["org", "ünïcode@example.com"]):
        assert legacy("unsubscribe").loads(make_token("unsubscribe", value)) == value


def test_a_token_is_bound_to_its_purpose_key_and_age(app, app_settings):
    token = make_token("open", ["org", "message"])
    for broken in (token[:-2] + "xx", token + "a", "a.b.c", "", "ü.ü.ü", token.replace(".", "", 1)):
        try:
            read_token("open", broken)
        except InvalidToken:
            continue
        raise AssertionError(f"{broken!r} verified")
    try:
        read_token("click", token)
    except InvalidToken:
        pass
    else:
        raise AssertionError("an open token verified as a click token")
    foreign = legacy("open", "another-deployment's-key").dumps(["org", "message"])
    try:
        read_token("open", foreign)
    except InvalidToken:
        pass
    else:
        raise AssertionError("a token signed with another key verified")
    old = legacy("open").dumps(["org", "message"])
    time.sleep(1.1)
    try:
        read_token("open", old, max_age=0)
    except InvalidToken as exc:
        assert "expired" in str(exc)
    else:
        raise AssertionError("an expired token verified")
    _, signed_at = read_token_with_time("open", token)
    assert abs(signed_at - time.time()) < 5


def test_a_click_redirects_without_reading_the_database(client, org):
    message = make_sent_message(org)
    url = path(click_url(org.id, message.id, 0, "https://jobs.example.com/apply"))
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers={"User-Agent": BROWSER})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://jobs.example.com/apply"
    assert statements == []


def test_a_click_token_only_ever_redirects_to_the_http_link_it_was_signed_for(client, org):
    message = make_sent_message(org)
    script = path(click_url(org.id, message.id, 0, "javascript:alert(1)"))
    assert client.get(script).status_code == 404
    valid = path(click_url(org.id, message.id, 0, "https://jobs.example.com/apply"))
    assert client.get(valid + "?url=https://evil.example.com").status_code == 404
    head, _, signature = valid.rpartition(".")
    assert client.get(f"{head}.{signature[::-1]}").status_code == 404
    forged = make_token("open", [str(org.id), str(message.id), 0, "https://evil.example.com"])
    assert client.get(f"/t/c/{forged}").status_code == 404  # another purpose's token
