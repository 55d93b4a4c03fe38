"""/api/v1 candidates, jobs and shortlists."""

from __future__ import annotations

from datetime import timedelta

from tests import test_api_helpers as helpers
from tests.support import factories
from tests.test_api_helpers import Api, make_key
from webapp.extensions import db
from webapp.models import AuditLog, Candidate, Message, ShortlistEntry, utcnow

api = helpers.api  # fixture
other_api = helpers.other_api  # fixture

ADA = {"email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace"}


def test_upsert_creates_then_updates_by_email(api, org):
    created = api.post("/candidates", json={**ADA, "attributes": {"level": "senior"}})
    assert created.status_code == 201, created.json
    assert created.json["email"] == "ada@example.com"
    assert created.json["attributes"] == {"level": "senior"}
    updated = api.post("/candidates", json={"email": "ada@example.com", "timezone": "Europe/Paris"})
    assert updated.status_code == 200
    assert updated.json["id"] == created.json["id"]
    assert updated.json["first_name"] == "Ada"  # fields not sent are kept
    assert updated.json["timezone"] == "Europe/Paris"
    assert len(db.session.scalars(db.select(Candidate)).all()) == 1


def test_upsert_matches_external_id_before_email(api):
    first = api.post("/candidates", json={**ADA, "external_id": "ats-1"}).json
    moved = api.post("/candidates", json={"email": "ada.new@example.com", "external_id": "ats-1"})
    assert moved.status_code == 200 and moved.json["id"] == first["id"]
    assert moved.json["email"] == "ada.new@example.com"


def test_candidate_validation_errors(api):
    bad_zone = api.post("/candidates", json={**ADA, "timezone": "Mars/Base"})
    assert bad_zone.status_code == 422
    assert bad_zone.json["errors"][0]["field"] == "timezone"
    missing = api.post("/candidates", json={"first_name": "x"})
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "email"
    extra = api.post("/candidates", json={**ADA, "salary": 1})
    assert extra.status_code == 422 and extra.json["errors"][0]["field"] == "salary"


def test_get_list_and_isolation(api, other_api):
    ids = [
        api.post("/candidates", json={"email": f"c{i}@example.com"}).json["id"] for i in range(3)
    ]
    other_api.post("/candidates", json={"email": "theirs@example.com"})
    assert api.get(f"/candidates/{ids[0]}").json["email"] == "c0@example.com"
    assert other_api.get(f"/candidates/{ids[0]}").status_code == 404
    assert other_api.delete(f"/candidates/{ids[0]}").status_code == 404
    page = api.get("/candidates?limit=2").json
    assert [c["email"] for c in page["data"]] == ["c2@example.com", "c1@example.com"]
    rest = api.get(f"/candidates?limit=2&cursor={page['next_cursor']}").json
    assert [c["email"] for c in rest["data"]] == ["c0@example.com"] and rest["next_cursor"] is None
    assert len(api.get("/candidates?email=C1@example.com").json["data"]) == 1


def test_delete_erases_personal_data(api, org):
    candidate = api.post("/candidates", json=ADA).json
    api.post(
        "/messages",
        json={
            "to": "ada@example.com",
            "subject": "Hi",
            "text": "x",
            "candidate_id": candidate["id"],
        },
    )
    response = api.delete(f"/candidates/{candidate['id']}")
    assert response.status_code == 204
    assert api.get(f"/candidates/{candidate['id']}").status_code == 404
    message = db.session.scalars(db.select(Message)).one()
    assert "ada" not in message.to_email
    assert api.get("/candidates?email=ada@example.com").json["data"] == []
    entry = db.session.scalars(
        db.select(AuditLog).where(AuditLog.action == "candidate.erase")
    ).one()
    assert entry.actor_label.startswith("API key")


def test_jobs(api, other_api):
    created = api.post("/jobs", json={"title": "Data Engineer", "location": "Berlin"})
    assert created.status_code == 201 and created.json["is_open"] is True
    assert api.get(f"/jobs/{created.json['id']}").json["title"] == "Data Engineer"
    assert other_api.get(f"/jobs/{created.json['id']}").status_code == 404
    assert [job["title"] for job in api.get("/jobs").json["data"]] == ["Data Engineer"]
    assert api.post("/jobs", json={"title": ""}).status_code == 422


def test_shortlist_with_interview_times_schedules_reminders(api, org):
    job = api.post("/jobs", json={"title": "SRE"}).json
    ada = api.post("/candidates", json=ADA).json
    shortlist = api.post(
        "/shortlists", json={"job_id": job["id"], "name": "Round 1", "candidate_ids": [ada["id"]]}
    )
    assert shortlist.status_code == 201
    assert [e["candidate_id"] for e in shortlist.json["entries"]] == [ada["id"]]
    at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    invited = db.session.scalars(db.select(ShortlistEntry)).one()
    factories.make_sent_invitation(org, invited)  # reminders go to invited candidates only
    db.session.commit()
    entry = api.put(
        f"/shortlists/{shortlist.json['id']}/entries/{ada['id']}",
        json={"interview_at": at.isoformat(), "video_url": "https://meet.example.com/x"},
    )
    assert entry.status_code == 200, entry.json
    assert entry.json["interview_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    reminders = db.session.scalars(db.select(Message).where(Message.kind.like("reminder%"))).all()
    assert reminders, "reminders are scheduled for the new interview time"
    got = api.get(f"/shortlists/{shortlist.json['id']}").json
    assert got["entries"][0]["video_url"] == "https://meet.example.com/x"
    listed = api.get(f"/shortlists?job_id={job['id']}").json["data"]
    assert [s["name"] for s in listed] == ["Round 1"]


def test_shortlist_validation_and_isolation(api, other_api, other_org):
    foreign_job = factories.make_job(other_org)
    db.session.commit()
    refused = api.post("/shortlists", json={"job_id": str(foreign_job.id)})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "job_id"
    job = api.post("/jobs", json={"title": "QA"}).json
    shortlist = api.post("/shortlists", json={"job_id": job["id"]}).json
    assert other_api.get(f"/shortlists/{shortlist['id']}").status_code == 404
    ada = api.post("/candidates", json=ADA).json
    bad_time = api.put(
        f"/shortlists/{shortlist['id']}/entries/{ada['id']}", json={"interview_at": "tomorrow"}
    )
    assert bad_time.status_code == 422


def test_audience_writes_need_manage_scope(client, org):
    reader = Api(client, make_key(org, scopes=["read", "send"]))
    assert reader.post("/candidates", json=ADA).status_code == 403
    assert reader.post("/jobs", json={"title": "x"}).status_code == 403
    assert reader.get("/candidates").status_code == 200
