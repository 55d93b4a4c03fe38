"""The preference page: categories, digest frequency, leave everything, come back."""

from __future__ import annotations

import re

from tests.test_tracking_helpers import make_sent_message
from webapp.extensions import db
from webapp.services.consent import preferences
from webapp.services.consent.suppressions import is_suppressed, suppress
from webapp.services.links import preferences_url, unsubscribe_url


def path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_choosing_categories_and_digest_frequency(client, org):
    url = path(preferences_url(org.id, "ada@example.com"))
    response = client.post(
        url,
        data={
            "action": "save",
            "categories": ["invitations", "digests"],
            "digest_frequency": "weekly",
        },
    )
    assert response.status_code == 200 and "Your choices are saved" in response.get_data(
        as_text=True
    )
    prefs = preferences.get_preferences(org.id, "ada@example.com")
    assert prefs["subscribed_categories"] == ["invitations", "digests"]
    assert prefs["digest_frequency"] == "weekly"
    assert preferences.refusal(org.id, "ada@example.com", "reminders", is_transactional=False)
    assert (
        preferences.refusal(org.id, "ada@example.com", "invitations", is_transactional=False)
        is None
    )
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'value="reminders"\s*>', page), "unticked category stays unticked"


def test_unsubscribe_all_then_resubscribe(client, org):
    message = make_sent_message(org)
    url = path(unsubscribe_url(org.id, message.to_email, message.id))
    page = client.post(url, data={"action": "unsubscribe"}).get_data(as_text=True)
    assert "unsubscribed from everything" in page and "Subscribe again" in page
    assert is_suppressed(org.id, message.to_email)
    page = client.post(url, data={"action": "resubscribe"}).get_data(as_text=True)
    assert "subscribed again" in page
    assert not is_suppressed(org.id, message.to_email)


def test_unticking_every_category_leaves_everything(client, org):
    url = path(preferences_url(org.id, "ada@example.com"))
    client.post(url, data={"action": "save", "digest_frequency": "off"})
    assert is_suppressed(org.id, "ada@example.com")


def test_a_complaint_cannot_be_lifted_by_the_recipient(client, org):
    suppress(org.id, "ada@example.com", "complaint")
    db.session.commit()
    url = path(preferences_url(org.id, "ada@example.com"))
    page = client.get(url).get_data(as_text=True)
    assert "Subscribe again" not in page and "Contact" in page
    client.post(url, data={"action": "resubscribe"})
    assert is_suppressed(org.id, "ada@example.com")
