"""Open pixel, click redirect, human-or-machine classification (REQUIREMENTS P1, P2, P7)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.test_tracking_helpers import make_sent_message, run_drain
from webapp.extensions import db
from webapp.models import MessageEvent
from webapp.redis_client import get_redis
from webapp.services.events import EVENTS_KEY
from webapp.services.links import click_url, open_pixel_url
from webapp.services.tokens import make_token

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def path(url: str) -> str:
    return url.removeprefix("http://herald.test")


def events_of(message):
    return db.session.scalars(
        select(MessageEvent)
        .where(MessageEvent.message_id == message.id)
        .order_by(MessageEvent.occurred_at)
    ).all()


def test_pixel_answers_the_same_gif_for_valid_and_invalid_tokens(client, org):
    message = make_sent_message(org)
    valid = client.get(path(open_pixel_url(org.id, message.id)), headers={"User-Agent": BROWSER})
    tampered = client.get(path(open_pixel_url(org.id, message.id))[:-3] + "abc")
    garbage = client.get("/t/o/not-a-token")
    for response in (valid, tampered, garbage):
        assert response.status_code == 200
        assert response.mimetype == "image/gif"
        assert response.data == valid.data
        assert "no-store" in response.headers["Cache-Control"]
    assert get_redis().llen(EVENTS_KEY) == 1  # only the valid token made an event


def test_human_open_sets_first_open_and_counts(client, org):
    message = make_sent_message(org)
    for _ in range(2):
        client.get(path(open_pixel_url(org.id, message.id)), headers={"User-Agent": BROWSER})
    run_drain()
    db.session.refresh(message)
    assert message.open_count == 2 and message.machine_open_count == 0
    assert message.opened_at is not None
    assert [e.is_machine for e in events_of(message)] == [False, False]


def test_apple_privacy_proxy_and_head_opens_are_machine_with_a_reason(client, org):
    message = make_sent_message(org)
    url = path(open_pixel_url(org.id, message.id))
    client.get(url, headers={"User-Agent": "Mozilla/5.0"})  # Apple MPP's bare agent
    client.get(url, headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "17.58.1.2"})
    client.get(url, headers={"User-Agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"})
    client.head(url, headers={"User-Agent": BROWSER})
    run_drain()
    db.session.refresh(message)
    reasons = sorted(e.machine_reason for e in events_of(message))
    assert reasons == ["apple_mpp", "apple_mpp", "google_image_proxy", "head_request"]
    assert message.opened_at is None, "a machine open is not a human first open"
    assert message.open_count == 0 and message.machine_open_count == 4


def test_click_redirects_only_to_a_link_of_that_message(client, org):
    message = make_sent_message(org)
    response = client.get(path(click_url(org.id, message.id, 0)), headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://jobs.example.com/apply"
    run_drain()
    db.session.refresh(message)
    assert message.click_count == 1 and message.clicked_at is not None
    assert events_of(message)[0].url == "https://jobs.example.com/apply"


def test_click_with_bad_token_index_or_url_parameter_is_404_without_redirect(client, org):
    message = make_sent_message(org, links=["https://ok.example.com/", "javascript:alert(1)"])
    good = path(click_url(org.id, message.id, 0))
    cases = [
        good[:-4] + "AAAA",  # tampered
        "/t/c/unknown",
        path(click_url(org.id, message.id, 1)),  # not http(s)
        path(click_url(org.id, message.id, 7)),  # no such link
        good + "?url=https://evil.example.com/",  # ?url= is never followed
        "/t/c/x?url=https://evil.example.com/",
        "/t/c/" + make_token("open", [str(org.id), str(message.id), 0]),  # wrong purpose
    ]
    for url in cases:
        response = client.get(url, headers={"User-Agent": BROWSER})
        assert response.status_code == 404, url
        assert "Location" not in response.headers
    assert get_redis().llen(EVENTS_KEY) == 0


def test_tokens_cannot_attach_events_to_another_organizations_message(client, org, other_org):
    theirs = make_sent_message(other_org)
    forged_click = make_token("click", [str(org.id), str(theirs.id), 0])
    assert client.get(f"/t/c/{forged_click}").status_code == 404
    forged_open = make_token("open", [str(org.id), str(theirs.id)])
    assert client.get(f"/t/o/{forged_open}").status_code == 200
    run_drain()
    db.session.refresh(theirs)
    assert events_of(theirs) == [] and theirs.machine_open_count == theirs.open_count == 0


def test_scanner_clicks_are_machine_events(client, org):
    fresh = make_sent_message(org, "new@example.com", sent_ago=timedelta(seconds=2))
    client.get(path(click_url(org.id, fresh.id, 0)), headers={"User-Agent": BROWSER})
    burst = make_sent_message(org, "burst@example.com")
    client.get(path(click_url(org.id, burst.id, 0)), headers={"User-Agent": BROWSER})
    client.get(path(click_url(org.id, burst.id, 1)), headers={"User-Agent": BROWSER})
    honey = make_sent_message(org, "honey@example.com")
    trap = client.get(path(click_url(org.id, honey.id, 2)), headers={"User-Agent": BROWSER})
    assert trap.status_code == 204 and "Location" not in trap.headers
    client.head(path(click_url(org.id, honey.id, 0)), headers={"User-Agent": BROWSER})
    client.get(path(click_url(org.id, honey.id, 1)), headers={"User-Agent": "curl/8.5"})
    run_drain()
    assert [e.machine_reason for e in events_of(fresh)] == ["too_soon_after_send"]
    assert [e.machine_reason for e in events_of(burst)] == ["link_burst", "link_burst"]
    assert sorted(e.machine_reason for e in events_of(honey)) == [
        "head_request",
        "honeypot",
        "scanner_agent",
    ]
    db.session.refresh(honey)
    assert honey.clicked_at is None and honey.machine_click_count == 3


def test_tracking_switched_off_records_nothing(client, org):
    org.open_tracking = False
    db.session.commit()
    message = make_sent_message(org)
    client.get(path(open_pixel_url(org.id, message.id)), headers={"User-Agent": BROWSER})
    run_drain()
    assert events_of(message) == []


def test_public_tracking_is_rate_limited_per_client(app, client, org):
    app.config["HERALD"].public_rate_limit = 3
    message = make_sent_message(org)
    url = path(open_pixel_url(org.id, message.id))
    codes = [client.get(url).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    assert int(client.get(url).headers["Retry-After"]) >= 1


def test_a_burst_turns_earlier_stored_clicks_into_machine_clicks(client, org):
    from sqlalchemy import func

    from webapp.models import StatRollup

    message = make_sent_message(org)
    client.get(path(click_url(org.id, message.id, 0)), headers={"User-Agent": BROWSER})
    run_drain()  # the first click is stored as human
    db.session.refresh(message)
    assert message.click_count == 1 and message.clicked_at is not None
    client.get(path(click_url(org.id, message.id, 1)), headers={"User-Agent": BROWSER})
    run_drain()
    db.session.refresh(message)
    assert [e.machine_reason for e in events_of(message)] == ["link_burst", "link_burst"]
    assert message.click_count == 0 and message.machine_click_count == 2
    assert message.clicked_at is None

    def metric(name):
        return db.session.scalar(
            select(func.coalesce(func.sum(StatRollup.count), 0)).where(StatRollup.metric == name)
        )

    assert metric("clicked_human") == 0 and metric("clicked_unique_human") == 0
    assert metric("clicked_machine") == 2 and metric("clicked_unique") == 1
