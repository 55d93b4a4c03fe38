"""Event triggers: rules map an event to a template and a delay; the settings page edits them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support import factories
from tests.test_campaign_fanout import make_template
from webapp.extensions import db
from webapp.models import Message, TriggerRule
from webapp.services.notify import triggers

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def rule(org, template, **fields):
    row = TriggerRule(
        org_id=org.id,
        event_type=fields.pop("event_type", "interview.scheduled"),
        template_id=template.id,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_now_after_and_before_delays(app, org):
    candidate = factories.make_candidate(org, "ada@example.com", first_name="Ada")
    template = make_template(org, "reminder_2h")
    rule(org, template, delay_mode="now")
    rule(org, template, delay_mode="after", delay_hours=3)
    rule(org, template, delay_mode="before", delay_hours=2, time_field="interview_at")
    results = triggers.trigger_event(
        org,
        "interview.scheduled",
        {"candidate_id": str(candidate.id), "interview_at": "2026-05-06T10:00:00Z"},
        now=NOW,
    )
    due = sorted(db.session.get(Message, r.message_id).send_after for r in results)
    assert due == [NOW, NOW + timedelta(hours=3), datetime(2026, 5, 6, 8, 0, tzinfo=UTC)]
    message = db.session.get(Message, results[0].message_id)
    assert message.context["event"]["interview_at"] == "2026-05-06T10:00:00Z"
    assert message.context["candidate"]["first_name"] == "Ada"


def test_unknown_events_do_nothing_and_bad_data_is_refused(app, org, other_org):
    template = make_template(org)
    assert triggers.trigger_event(org, "custom.nothing", {"email": "x@example.com"}) == []
    rule(org, template, event_type="offer.sent")
    with pytest.raises(triggers.TriggerError):
        triggers.trigger_event(org, "offer.sent", {"email": "not-an-address"})
    foreign = factories.make_candidate(other_org, "z@example.com")
    with pytest.raises(triggers.TriggerError):
        triggers.trigger_event(org, "offer.sent", {"candidate_id": str(foreign.id)})
    assert db.session.scalars(select(Message)).all() == []


def test_disabled_rules_are_skipped(app, org):
    template = make_template(org)
    rule(org, template, is_enabled=False)
    assert triggers.trigger_event(org, "interview.scheduled", {"email": "a@example.com"}) == []


def test_settings_page_creates_toggles_and_deletes_rules(logged_in, org):
    template = make_template(org)
    db.session.commit()
    assert "No automation yet" in logged_in.get("/settings/automations").get_data(as_text=True)
    response = logged_in.post(
        "/settings/automations",
        data={
            "event_type": "interview.scheduled",
            "template_id": str(template.id),
            "delay_mode": "before",
            "delay_hours": "2",
            "time_field": "",
        },
    )
    assert response.status_code == 422
    assert "Name the event field holding the time" in response.get_data(as_text=True)
    response = logged_in.post(
        "/settings/automations",
        data={
            "event_type": "interview.scheduled",
            "custom_event": "offer.sent",
            "template_id": str(template.id),
            "delay_mode": "after",
            "delay_hours": "1.5",
        },
    )
    assert response.status_code == 302
    saved = db.session.scalars(select(TriggerRule)).one()
    assert (saved.event_type, saved.delay_hours) == ("offer.sent", 1.5)
    logged_in.post(f"/settings/automations/{saved.id}/toggle")
    db.session.expire_all()
    assert db.session.get(TriggerRule, saved.id).is_enabled is False
    logged_in.post(f"/settings/automations/{saved.id}/delete")
    assert db.session.scalars(select(TriggerRule)).all() == []


def test_setting_an_interview_in_herald_fires_interview_scheduled(logged_in, org):
    candidate = factories.make_candidate(org, "ada@example.com", first_name="Ada")
    entry = factories.make_shortlist(org, candidates=[candidate], interview_in_hours=None).entries[
        0
    ]
    template = make_template(org, "reschedule")
    rule(org, template, event_type="interview.scheduled", delay_mode="now")
    rule(org, template, event_type="interview.canceled", delay_mode="now")
    db.session.commit()
    form = {"interview_at": "2030-03-01T10:00", "duration_minutes": "45", "offered_slots": ""}
    logged_in.post(f"/audience/entries/{entry.id}", data=form)
    logged_in.post(f"/audience/entries/{entry.id}", data={**form, "is_canceled": "y"})
    kinds = db.session.scalars(
        select(Message.context).where(Message.kind == "reschedule").order_by(Message.created_at)
    ).all()
    assert [c["event"]["type"] for c in kinds] == ["interview.scheduled", "interview.canceled"]
    assert kinds[0]["event"]["interview_at"] == "2030-03-01T10:00:00+00:00"
