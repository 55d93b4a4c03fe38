"""The messages pages: list with filters, detail with timeline and sandboxed preview, failed
messages with retry one / retry all / cancel, and tenancy (another org's message is a 404)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import DeliveryAttempt, Message, utcnow
from webapp.services.queues import BULK, TRANSACTIONAL, get_queue
from webapp.services.sending.outbox import create_message


def add(org, to, status="sent", **fields):
    message = Message(
        org_id=org.id,
        to_email=to,
        status=status,
        send_after=utcnow(),
        raw_subject=fields.pop("subject", "Interview invitation"),
        raw_html=fields.pop("html", "<p>Hello <script>alert(1)</script></p>"),
        **fields,
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_list_filters_by_state_and_recipient_and_keeps_inputs(logged_in, org):
    add(org, "ada@example.com", "sent")
    add(org, "bob@example.com", "failed", last_error="550 5.7.1 Rejected")
    db.session.commit()

    page = logged_in.get("/messages/?status=failed&recipient=bob").get_data(as_text=True)
    assert "bob@example.com" in page and "ada@example.com" not in page
    assert 'value="bob"' in page  # what the user typed stays in the box
    assert "1 message" in page
    everything = logged_in.get("/messages/").get_data(as_text=True)
    assert "ada@example.com" in everything and "bob@example.com" in everything


def test_bad_date_filter_is_explained_next_to_the_field(logged_in, org):
    page = logged_in.get("/messages/?from=31/02/2026&recipient=ada").get_data(as_text=True)
    assert "Use a date like 2026-03-31." in page
    assert 'value="31/02/2026"' in page and 'value="ada"' in page


def test_date_range_uses_the_organization_time_zone(logged_in, org):
    old = add(org, "old@example.com")
    old.created_at = utcnow() - timedelta(days=10)
    add(org, "new@example.com")
    db.session.commit()
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    page = logged_in.get(f"/messages/?from={since}").get_data(as_text=True)
    assert "new@example.com" in page and "old@example.com" not in page


def test_empty_list_tells_what_to_do(logged_in):
    page = logged_in.get("/messages/").get_data(as_text=True)
    assert "No messages yet" in page


def test_detail_shows_attempts_and_a_sandboxed_preview(logged_in, org):
    message = add(org, "ada@example.com", "failed", last_error="452 4.2.2 Mailbox full")
    db.session.add(
        DeliveryAttempt(
            org_id=org.id,
            message_id=message.id,
            attempted_at=utcnow(),
            relay_name="primary",
            smtp_code=452,
            smtp_reply="452 4.2.2 Mailbox full",
            outcome="failed",
            duration_ms=12,
        )
    )
    db.session.commit()
    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "452 4.2.2 Mailbox full" in page and "primary" in page
    # links may open a new tab; no allow-scripts, no allow-same-origin (T5)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox" src="/messages/' in page
    preview = logged_in.get(f"/messages/{message.id}/preview")
    assert preview.status_code == 200
    assert preview.headers["Content-Security-Policy"].startswith("sandbox")
    assert "Hello" in preview.get_data(as_text=True)


def test_failed_view_retries_one_message(logged_in, org):
    message = add(org, "ada@example.com", "failed", last_error="451 4.3.0 later", attempts=5)
    add(org, "ok@example.com", "sent")
    db.session.commit()
    page = logged_in.get("/messages/failed").get_data(as_text=True)
    assert "451 4.3.0 later" in page and "ok@example.com" not in page

    response = logged_in.post(f"/messages/{message.id}/retry", data={"next": "/messages/failed"})
    assert response.status_code == 302 and response.headers["Location"] == "/messages/failed"
    db.session.expire_all()
    row = db.session.get(Message, message.id)
    assert (row.status, row.attempts) == ("queued", 0) and row.retried_at is not None
    assert len(get_queue(TRANSACTIONAL)) == 1


def test_retry_all_matching_a_filter(logged_in, org):
    for n in range(3):
        add(org, f"a{n}@gmail.example", "failed", is_transactional=False)
    add(org, "b@other.example", "unknown", is_transactional=False)
    db.session.commit()
    response = logged_in.post("/messages/failed/retry", data={"recipient": "gmail"})
    assert response.status_code == 302
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Message.to_email, Message.status)).all())
    assert statuses["b@other.example"] == "unknown"
    assert {statuses[f"a{n}@gmail.example"] for n in range(3)} == {"queued"}
    assert len(get_queue(BULK)) == 1  # one batch job for the three


def test_cancel_a_scheduled_message_but_not_a_sent_one(logged_in, org):
    later = create_message(
        org.id, to_email="ada@example.com", raw_subject="Hi", send_after=utcnow() + timedelta(1)
    )
    sent = add(org, "bob@example.com", "sent")
    db.session.commit()
    logged_in.post(f"/messages/{later.id}/cancel")
    logged_in.post(f"/messages/{sent.id}/cancel")
    db.session.expire_all()
    assert db.session.get(Message, later.id).status == "canceled"
    assert db.session.get(Message, sent.id).status == "sent"


def test_external_next_is_ignored(logged_in, org):
    message = add(org, "ada@example.com", "failed")
    db.session.commit()
    response = logged_in.post(f"/messages/{message.id}/retry", data={"next": "//evil.example/"})
    assert response.headers["Location"] == f"/messages/{message.id}"


def test_another_organizations_message_is_404(logged_in, other_org):
    theirs = add(other_org, "ada@example.com", "failed")
    db.session.commit()
    for url in (f"/messages/{theirs.id}", f"/messages/{theirs.id}/preview"):
        assert logged_in.get(url).status_code == 404
    for url in (f"/messages/{theirs.id}/retry", f"/messages/{theirs.id}/cancel"):
        assert logged_in.post(url).status_code == 404
    logged_in.post("/messages/failed/retry", data={})
    db.session.expire_all()
    assert db.session.get(Message, theirs.id).status == "failed"


def test_viewer_cannot_retry(client, org, login_as):
    from tests.support import factories

    viewer = factories.make_user("viewer@example.com", org=org, role="viewer")
    message = add(org, "ada@example.com", "failed")
    db.session.commit()
    login_as(viewer, org=org)
    assert client.post(f"/messages/{message.id}/retry").status_code == 403
    assert "Editors can retry" in client.get("/messages/failed").get_data(as_text=True)
