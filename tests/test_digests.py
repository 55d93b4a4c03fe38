"""Digests: notifications held for a recipient, combined and sent once at their hour."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.support import factories
from tests.test_campaign_fanout import make_template
from webapp.extensions import db
from webapp.models import Message, Preference, TriggerRule
from webapp.models.audience import DigestItem
from webapp.services.notify import digests, triggers


def test_digest_combines_notifications_and_sends_once_at_the_chosen_hour(app, org, smtp_server):
    factories.make_candidate(org, "ada@example.com", first_name="Ada", timezone="Europe/Paris")
    db.session.add(
        Preference(
            org_id=org.id,
            email="ada@example.com",
            opted_out_categories=[],
            digest_categories=["updates"],
            digest_frequency="daily",
            digest_hour=9,
        )
    )
    template = make_template(org, "follow_up")
    template.category = "updates"
    db.session.add(
        TriggerRule(
            org_id=org.id,
            event_type="application.received",
            template_id=template.id,
            delay_mode="now",
        )
    )
    db.session.commit()
    for n in range(3):
        results = triggers.trigger_event(
            org, "application.received", {"email": "ada@example.com", "n": n}
        )
        assert results[0].digest_item_id and results[0].message_id is None
    db.session.commit()
    assert db.session.scalars(select(Message)).all() == []  # held, not sent one by one
    # 07:30 UTC is 09:30 in Paris (summer): due. 06:30 UTC is 08:30: not yet.
    assert digests.send_due_digests(datetime(2026, 6, 2, 6, 30, tzinfo=UTC)) == 0
    assert digests.send_due_digests(datetime(2026, 6, 2, 7, 30, tzinfo=UTC)) == 1
    db.session.commit()
    assert digests.send_due_digests(datetime(2026, 6, 2, 7, 45, tzinfo=UTC)) == 0  # once
    message = db.session.scalars(select(Message)).one()
    assert message.kind == "digest" and message.to_email == "ada@example.com"
    assert message.context["item_count"] == 3
    assert [i["data"]["event"]["n"] for i in message.context["items"]] == [0, 1, 2]
    pending = db.session.scalars(select(DigestItem).where(DigestItem.digest_message_id.is_(None)))
    assert pending.all() == []


def test_digest_frequency_from_the_preference_page_holds_the_digests_category(app, org):
    db.session.add(
        Preference(
            org_id=org.id,
            email="bob@example.com",
            opted_out_categories=[],
            digest_categories=[],
            digest_frequency="weekly",
            digest_hour=8,
        )
    )
    template = make_template(org, "digest")  # category "digests"
    db.session.add(TriggerRule(org_id=org.id, event_type="job.opened", template_id=template.id))
    db.session.commit()
    triggers.trigger_event(org, "job.opened", {"email": "bob@example.com", "title": "SRE"})
    triggers.trigger_event(org, "job.opened", {"email": "bob@example.com", "title": "QA"})
    db.session.commit()
    tuesday, monday = datetime(2026, 6, 2, 8, tzinfo=UTC), datetime(2026, 6, 8, 8, tzinfo=UTC)
    assert digests.send_due_digests(tuesday) == 0  # weekly digests go out on Mondays
    assert digests.send_due_digests(monday) == 1
    message = db.session.scalars(select(Message)).one()
    assert [i["data"]["event"]["title"] for i in message.context["items"]] == ["SRE", "QA"]
