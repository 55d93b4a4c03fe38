"""Candidate and job pages: lists with search and filters, the candidate's messages, erasure."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Candidate, DeliveryAttempt, Message, utcnow
from webapp.services.sending.outbox import create_message


def test_candidate_list_searches_filters_and_paginates(logged_in, org, other_org):
    factories.make_candidate(
        org, "ada@example.com", first_name="Ada", last_name="Lovelace", timezone="Europe/London"
    )
    factories.make_candidate(org, "alan@example.com", first_name="Alan", last_name="Turing")
    factories.make_candidate(other_org, "ada.other@example.com", first_name="Ada")
    for i in range(55):
        factories.make_candidate(org, f"bulk{i}@example.com")
    db.session.commit()
    page = logged_in.get("/audience/candidates?q=ada").get_data(as_text=True)
    assert "ada@example.com" in page and "alan@example.com" not in page
    assert "ada.other@example.com" not in page  # another organization's candidate
    page = logged_in.get("/audience/candidates?tz=Europe/London").get_data(as_text=True)
    assert "ada@example.com" in page and "alan@example.com" not in page
    first = logged_in.get("/audience/candidates").get_data(as_text=True)
    assert "Next →" in first and "57 candidates" in first
    second = logged_in.get("/audience/candidates?page=2").get_data(as_text=True)
    assert "← Previous" in second and second.count("<tr>") == 8  # header + 7 rows


def test_create_candidate_shows_errors_next_to_fields_and_keeps_input(logged_in, org):
    response = logged_in.post(
        "/audience/candidates/new",
        data={"email": "not an address", "first_name": "Keep Me", "timezone": "Mars/Base"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Keep Me"' in page
    assert 'id="email-error"' in page
    response = logged_in.post(
        "/audience/candidates/new",
        data={"email": "x@example.com", "first_name": "Keep Me", "timezone": "Mars/Base"},
    )
    assert "Unknown time zone" in response.get_data(as_text=True)
    response = logged_in.post(
        "/audience/candidates/new",
        data={
            "email": "X@Example.com",
            "first_name": "Ok",
            "timezone": "Asia/Tokyo",
            "locale": "ja",
        },
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Candidate.email)).one() == "x@example.com"


def test_candidate_page_lists_messages_with_timeline(logged_in, org):
    candidate = factories.make_candidate(org, "ada@example.com", first_name="Ada")
    message = create_message(
        org.id,
        to_email=candidate.email,
        candidate_id=candidate.id,
        raw_subject="Hello",
        kind="invitation",
        category="invitations",
    )
    message.subject, message.status = "Your interview", "failed"
    message.last_error = "550 5.7.1 policy rejection"
    db.session.commit()
    page = logged_in.get(f"/audience/candidates/{candidate.id}").get_data(as_text=True)
    assert "Your interview" in page and "failed" in page and "550 5.7.1 policy rejection" in page
    assert "Created" in page and "Queued" in page


def test_erasing_a_candidate_removes_personal_data_but_keeps_counts(logged_in, org):
    candidate = factories.make_candidate(
        org, "ada@example.com", first_name="Ada", external_id="ATS-1", attributes={"cv": "x"}
    )
    sent = create_message(
        org.id,
        to_email="ada@example.com",
        candidate_id=candidate.id,
        context={"candidate": {"first_name": "Ada"}},
        raw_subject="Hi",
    )
    sent.last_error = "550 5.1.1 <ada@example.com>: no such user"
    db.session.add(
        DeliveryAttempt(
            org_id=org.id,
            message_id=sent.id,
            attempted_at=utcnow(),
            outcome="bounced",
            smtp_reply=sent.last_error,
        )
    )
    db.session.commit()
    response = logged_in.post(f"/audience/candidates/{candidate.id}/erase")
    assert response.status_code == 302
    db.session.expire_all()
    erased = db.session.get(Candidate, candidate.id)
    assert erased.erased_at and erased.first_name == "" and erased.external_id is None
    assert "ada@example.com" not in erased.email and erased.attributes == {}
    message = db.session.scalars(select(Message)).one()
    assert (
        "ada@example.com" not in message.to_email
        and message.context == {}
        and message.last_error == ""
    )
    assert db.session.scalars(select(DeliveryAttempt.smtp_reply)).all() == [""]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    assert "ada@example.com" not in logged_in.get("/audience/candidates").get_data(as_text=True)


def test_jobs_list_and_other_org_ids_are_404(logged_in, org, other_org):
    factories.make_job(org, "Data Engineer")
    foreign = factories.make_candidate(other_org, "z@example.com")
    foreign_job = factories.make_job(other_org, "Secret")
    db.session.commit()
    assert "Data Engineer" in logged_in.get("/audience/jobs?q=data").get_data(as_text=True)
    assert logged_in.get(f"/audience/candidates/{foreign.id}").status_code == 404
    assert logged_in.get(f"/audience/jobs/{foreign_job.id}").status_code == 404
    assert logged_in.post(f"/audience/candidates/{foreign.id}/erase").status_code == 404
    response = logged_in.post("/audience/jobs/new", data={"title": "QA Lead", "is_open": "y"})
    assert response.status_code == 302
    assert "QA Lead shortlist" in logged_in.get(response.headers["Location"]).get_data(as_text=True)
