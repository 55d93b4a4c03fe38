"""A digest lists what it held (issue 14, item 5), walked as the subscriber and the recruiter
did: the subscriber ticks the digest on the preference page (once a day); an automation sends
three job alerts through the API; they are held; at 09:00 in the subscriber's zone the digest
goes out through a real worker to a real SMTP server, with the date in its subject and each
held item's subject, line and link. The digest email is shown in Chromium and screenshotted
at desktop width and at 390 px."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header

from sqlalchemy import select

from tests.support import factories
from tests.support.browser import screenshot
from tests.test_api_helpers import Api, make_key
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Message
from webapp.models.audience import DigestItem
from webapp.services.links import preferences_url
from webapp.services.notify import digests
from webapp.services.queues import BULK, TRANSACTIONAL

ALERT = (
    "<mj-section><mj-column><mj-text>A new role: {{ event.job.title }}</mj-text>"
    '<mj-button href="{{ event.url }}">See the role</mj-button></mj-column></mj-section>'
)
JOBS = [
    ("Data Engineer", "London", "https://careers.example.com/jobs/1"),
    ("Site Reliability Engineer", "Berlin", "https://careers.example.com/jobs/2"),
    ("QA Lead", "Remote", "https://careers.example.com/jobs/3"),
]


def _parts(raw: bytes) -> tuple[str, str, str]:
    parsed = email.message_from_bytes(raw)
    subject = str(make_header(decode_header(parsed["Subject"])))
    found = {}
    for part in parsed.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_payload(decode=True).decode()
    return subject, found["text/plain"], found["text/html"]


def test_the_digest_lists_each_held_item_with_its_line_and_link(
    worker_env,  # noqa: F811
    smtp_server,
    client,
    logged_in,
    org,
    page,
):
    factories.make_candidate(org, "ada@example.com", first_name="Ada", timezone="Europe/Paris")
    db.session.commit()
    prefs = re.sub(r"^https?://[^/]+", "", preferences_url(org.id, "ada@example.com"))
    form = client.get(prefs).get_data(as_text=True)
    assert "Digest of your updates" in form
    saved = client.post(
        prefs,
        data={"action": "save", "categories": ["digests"], "digest_frequency": "daily"},
    )
    assert "Your choices are saved" in saved.get_data(as_text=True)

    api = Api(client, make_key(org))
    template = api.post(
        "/templates",
        json={
            "name": "Job alert",
            "type": "custom",
            "category": "digests",
            "subject": "New role: {{ event.job.title }}",
            "preheader": "{{ event.job.title }} in {{ event.job.location }}",
            "body_mjml": ALERT,
        },
    )
    assert template.status_code == 201, template.json
    logged_in.post(
        "/settings/automations",
        data={"event_type": "job.opened", "template_id": template.json["id"]},
    )
    for title, location, url in JOBS:
        event = {
            "type": "job.opened",
            "email": "ada@example.com",
            "data": {"job": {"title": title, "location": location}, "url": url},
        }
        assert api.post("/events", json=event).json["results"][0]["digest_item_id"]
    assert db.session.scalars(select(Message)).all() == []  # held, not sent one by one

    # 08:00 UTC on 2 Dec is 09:00 in Paris: the digest hour
    assert digests.send_due_digests(datetime(2026, 12, 2, 8, 0, tzinfo=UTC)) == 1
    db.session.commit()
    run_burst(worker_env, TRANSACTIONAL, BULK)

    assert len(smtp_server.received) == 1
    subject, text, html = _parts(smtp_server.received[0].data)
    assert "Dec 2, 2026" in subject, subject
    assert "Nothing new" not in text
    digest = db.session.scalars(select(Message)).one()
    for title, location, url in JOBS:
        assert f"New role: {title}" in text
        assert f"{title} in {location}" in text
        assert url in digest.links  # each item's link, behind the click redirect
    pending = select(DigestItem).where(DigestItem.digest_message_id.is_(None))
    assert db.session.scalars(pending).all() == []

    page.set_content(html)
    for title, _, _ in JOBS:
        assert page.locator("a", has_text=f"New role: {title}").count() == 1
    screenshot(page, "digest-email")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "digest-email-390")
