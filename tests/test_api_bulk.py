"""/api/v1/messages/bulk writes in bulk: one template lookup per distinct template, one
INSERT for the rows, whatever the request's size; every item still gets its own answer."""

from __future__ import annotations

import uuid

from rq import Queue
from sqlalchemy import event, select

from tests import test_api_helpers as helpers
from tests.support import factories
from tests.test_api_messages import REMINDER_CONTEXT, _template
from webapp.extensions import db
from webapp.models import Message
from webapp.redis_client import get_redis

api = helpers.api  # fixture
other_api = helpers.other_api  # fixture


def _statements(api, items) -> tuple[list[str], dict]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = api.post("/messages/bulk", json={"messages": items})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.json
    return seen, response.json


def test_the_queries_of_a_bulk_request_do_not_grow_with_its_size(api, org):
    invite = _template(org)
    reminder = _template(org, type_="reminder_24h", category="reminders")
    person = factories.make_candidate(org, "ada@example.com")
    db.session.commit()

    def items(count: int) -> list[dict]:
        raw = [{"to": f"raw{n}@example.com", "subject": "Hi", "text": "Hello"} for n in range(3)]
        return raw + [
            {"to": f"p{n}@example.com", "template_id": str((invite, reminder)[n % 2].id),
             "context": {"name": f"P{n}"}, "candidate_id": str(person.id)}
            for n in range(count)
        ]  # fmt: skip

    _statements(api, items(2))  # the key and both versions are looked up and cached first
    small, _ = _statements(api, items(4))
    large, body = _statements(api, items(120))
    assert len(large) == len(small)
    assert large.count("INSERT") == small.count("INSERT")
    assert body["accepted"] == 123
    stored = db.session.scalars(select(Message).where(Message.to_email.like("p%"))).all()
    assert len(stored) == 126  # 2 + 4 + 120
    by_address = {m.to_email: m for m in stored}
    first = by_address["p1@example.com"]
    assert first.template_id == reminder.id and first.category == "reminders"
    assert first.template_version_id == reminder.current_version_id
    assert first.candidate_id == person.id and first.context == {"name": "P1"}
    assert first.status == "queued" and first.is_transactional is False
    accepted = {uuid.UUID(r["id"]) for r in body["results"]}
    assert len(db.session.scalars(select(Message.id).where(Message.id.in_(accepted))).all()) == 123
    queued = sum(len(job.args[0]) for job in Queue("bulk", connection=get_redis()).jobs)
    assert queued >= 125  # enqueued after the commit, in batches


def test_each_item_still_gets_its_own_answer_in_order(api, org, other_org):
    invite = _template(org)
    foreign = factories.make_candidate(other_org, "eve@example.com")
    db.session.commit()
    items = [
        {"to": "a@example.com", "template_id": str(invite.id)},
        {"to": "b@example.com", "template_id": "00000000-0000-0000-0000-000000000000"},
        {"to": "c@example.com", "template_id": str(invite.id), "candidate_id": str(foreign.id)},
        {"to": "d@example.com", "template_id": str(invite.id), "subject": "both"},
        {
            "to": "e@example.com",
            "template_type": "reminder_2h",
            "send_at": "2099-01-01T10:00:00Z",
            "context": REMINDER_CONTEXT,
        },
        {"to": "not an address", "template_id": str(invite.id)},
        {"to": "f@example.com", "template_id": "00000000-0000-0000-0000-000000000000"},
        {"to": "g@example.com", "unknown": 1},
    ]
    _, body = _statements(api, items)
    results = body["results"]
    assert [r["status"] for r in results] == [
        "accepted", "rejected", "rejected", "rejected", "accepted", "rejected", "rejected",
        "rejected",
    ]  # fmt: skip
    # (a template send must give every value the template prints: see test_api_messages)
    assert [r["index"] for r in results] == list(range(len(items)))
    assert results[1]["errors"][0]["field"] == "template_id"
    assert results[6]["errors"] == results[1]["errors"]
    assert results[2]["errors"][0]["field"] == "candidate_id"
    assert "template_id" in [error["field"] for error in results[3]["errors"]]  # both ways given
    assert results[5]["errors"][0]["field"] == "to"
    assert results[4]["message_status"] == "scheduled" and results[0]["message_status"] == "queued"
    for result in (results[0], results[4]):
        assert db.session.get(Message, uuid.UUID(result["id"])) is not None
    assert (body["accepted"], body["rejected"]) == (2, 6)
