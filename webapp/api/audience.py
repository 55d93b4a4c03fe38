"""/api/v1 candidates (upsert, get, list, erase), jobs, and shortlists with interview times."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from webapp.api import serializers
from webapp.api.framework import (
    actor_label,
    current_org,
    endpoint,
    invalid,
    json_response,
    list_page,
    not_found,
)
from webapp.api.schemas import CURSOR, DATETIME_INPUT, EMAIL, LIMIT, UUID, obj, page_of, ref
from webapp.extensions import db
from webapp.models import Candidate, Job, Shortlist
from webapp.services import audit
from webapp.services.api import audience as audience_service
from webapp.services.api.validation import FieldErrors
from webapp.services.audience import shortlists
from webapp.services.audience.candidates import CandidateError, erase_candidate, save_job
from webapp.services.interviews import reminders
from webapp.services.interviews import updates as interview_updates
from webapp.services.scheduling import known_timezones
from webapp.tenancy import get_scoped, scoped

TEXT = {"type": "string", "maxLength": 200}
CANDIDATE_INPUT = obj(
    {
        "email": EMAIL,
        "external_id": {**TEXT, "description": "your system's id; matched before email"},
        "first_name": TEXT,
        "last_name": TEXT,
        "timezone": {
            "type": "string",
            "enum": ["", *sorted(known_timezones())],
            "description": "IANA name, e.g. Europe/Paris (empty: UTC)",
        },
        "locale": {
            "type": "string",
            "maxLength": 16,
            "description": "language, BCP 47 (e.g. fr-CA, pt-BR); stored normalized; empty: en",
        },
        "attributes": {"type": "object", "description": "extra fields for templates"},
    },
    ("email",),
)
JOB_INPUT = obj(
    {
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "location": {"type": "string", "maxLength": 300},
        "department": TEXT,
        "is_open": {"type": "boolean"},
    },
    ("title",),
)
ENTRY_INPUT = obj(
    {
        "interview_at": {**DATETIME_INPUT, "description": "UTC offset required"},
        "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
        "location": {"type": "string", "maxLength": 500},
        "video_url": {"type": "string", "maxLength": 2000},
        "is_canceled": {"type": "boolean"},
        "notify_candidate": {
            "type": "boolean",
            "description": "email the candidate a move or cancellation (default: the "
            "organization's setting)",
        },
    }
)
SHORTLIST_INPUT = obj(
    {
        "job_id": UUID,
        "name": TEXT,
        "candidate_ids": {"type": "array", "items": UUID, "maxItems": 5000},
    },
    ("job_id",),
)
PAGE_QUERY = {"limit": LIMIT, "cursor": CURSOR}


def _raise_field(exc: CandidateError | FieldErrors):
    errors = (
        exc.errors if isinstance(exc, FieldErrors) else [{"field": exc.field, "message": str(exc)}]
    )
    raise invalid(errors) from None


@endpoint(
    "/candidates",
    "POST",
    scope="manage",
    tag="Candidates",
    summary="Create or update a candidate (matched by external_id, then email)",
    body=CANDIDATE_INPUT,
    responses={200: ref("Candidate"), 201: ref("Candidate")},
)
def upsert_candidate(body: dict[str, Any]):
    try:
        candidate, created = audience_service.upsert_candidate(g.org_id, body)
    except (CandidateError, FieldErrors) as exc:
        _raise_field(exc)
    db.session.commit()
    return json_response(serializers.candidate(candidate), 201 if created else 200)


@endpoint(
    "/candidates",
    "GET",
    scope="read",
    tag="Candidates",
    summary="List candidates, newest first",
    query={"email": {"type": "string", "maxLength": 320}, "external_id": TEXT, **PAGE_QUERY},
    responses={200: page_of("Candidate")},
)
def list_candidates(query: dict[str, Any]):
    statement = scoped(select(Candidate), g.org_id).where(Candidate.erased_at.is_(None))
    if query.get("email"):
        statement = statement.where(Candidate.email == query["email"].strip().lower())
    if query.get("external_id"):
        statement = statement.where(Candidate.external_id == query["external_id"])
    return list_page(statement, Candidate.id, query, serializers.candidate)


@endpoint(
    "/candidates/<candidate_id>",
    "GET",
    scope="read",
    tag="Candidates",
    summary="Get a candidate",
    responses={200: ref("Candidate")},
)
def get_candidate(candidate_id: str):
    return json_response(serializers.candidate(_candidate_or_404(candidate_id)))


@endpoint(
    "/candidates/<candidate_id>",
    "DELETE",
    scope="manage",
    tag="Candidates",
    summary="Erase a candidate's personal data (messages keep anonymous counts)",
    responses={204: None},
)
def erase_candidate_route(candidate_id: str):
    candidate = _candidate_or_404(candidate_id)
    erase_candidate(candidate)
    audit.record(
        g.org_id,
        "candidate.erase",
        actor_label=actor_label(),
        target_type="candidate",
        target_id=candidate.id,
    )
    db.session.commit()
    return "", 204


def _candidate_or_404(candidate_id: str) -> Candidate:
    candidate = get_scoped(Candidate, candidate_id, g.org_id)
    if candidate is None or candidate.erased_at is not None:
        raise not_found("Candidate")
    return candidate


@endpoint(
    "/jobs",
    "POST",
    scope="manage",
    tag="Jobs",
    summary="Create a job",
    body=JOB_INPUT,
    responses={201: ref("Job")},
)
def create_job(body: dict[str, Any]):
    try:
        job = save_job(g.org_id, body)
    except CandidateError as exc:
        _raise_field(exc)
    db.session.commit()
    return json_response(serializers.job(job), 201)


@endpoint(
    "/jobs",
    "GET",
    scope="read",
    tag="Jobs",
    summary="List jobs, newest first",
    query=PAGE_QUERY,
    responses={200: page_of("Job")},
)
def list_jobs(query: dict[str, Any]):
    return list_page(scoped(select(Job), g.org_id), Job.id, query, serializers.job)


@endpoint(
    "/jobs/<job_id>",
    "GET",
    scope="read",
    tag="Jobs",
    summary="Get a job",
    responses={200: ref("Job")},
)
def get_job(job_id: str):
    job = get_scoped(Job, job_id, g.org_id)
    if job is None:
        raise not_found("Job")
    return json_response(serializers.job(job))


@endpoint(
    "/shortlists",
    "POST",
    scope="manage",
    tag="Shortlists",
    summary="Create a shortlist for a job, optionally with candidates",
    body=SHORTLIST_INPUT,
    responses={201: ref("Shortlist")},
)
def create_shortlist(body: dict[str, Any]):
    job = get_scoped(Job, body["job_id"], g.org_id)
    if job is None:
        raise invalid([{"field": "job_id", "message": "no such job in this organization"}])
    shortlist = shortlists.create_shortlist(g.org_id, job, body.get("name", ""))
    ids = [
        candidate_id for candidate_id in map(_uuid, body.get("candidate_ids", [])) if candidate_id
    ]
    if ids:
        shortlists.add_candidates(g.org_id, shortlist, ids)
    db.session.commit()
    db.session.refresh(shortlist)
    return json_response(serializers.shortlist(shortlist), 201)


@endpoint(
    "/shortlists",
    "GET",
    scope="read",
    tag="Shortlists",
    summary="List shortlists, newest first",
    query={"job_id": {"type": "string", "maxLength": 64}, **PAGE_QUERY},
    responses={200: page_of("Shortlist")},
)
def list_shortlists(query: dict[str, Any]):
    statement = scoped(select(Shortlist), g.org_id)
    if query.get("job_id"):
        statement = statement.where(Shortlist.job_id == _uuid(query["job_id"]))
    return list_page(statement, Shortlist.id, query, serializers.shortlist)


@endpoint(
    "/shortlists/<shortlist_id>",
    "GET",
    scope="read",
    tag="Shortlists",
    summary="Get a shortlist with its candidates and interview times",
    responses={200: ref("Shortlist")},
)
def get_shortlist(shortlist_id: str):
    return json_response(serializers.shortlist(_shortlist_or_404(shortlist_id)))


@endpoint(
    "/shortlists/<shortlist_id>/entries/<candidate_id>",
    "PUT",
    scope="manage",
    tag="Shortlists",
    summary="Add a candidate to a shortlist or change their interview (reminders follow)",
    body=ENTRY_INPUT,
    responses={200: ref("ShortlistEntry")},
)
def put_entry(shortlist_id: str, candidate_id: str, body: dict[str, Any]):
    shortlist = _shortlist_or_404(shortlist_id)
    candidate = _candidate_or_404(candidate_id)
    try:
        entry, change = audience_service.put_entry(g.org_id, shortlist, candidate, body)
    except FieldErrors as exc:
        _raise_field(exc)
    org = current_org()
    reminders.on_entry_change(org, entry, change)
    if body.get("notify_candidate", interview_updates.notifies_by_default(org)):
        interview_updates.announce_change(org, entry, change)
    db.session.commit()
    return json_response(serializers.shortlist_entry(entry))


def _shortlist_or_404(shortlist_id: str) -> Shortlist:
    shortlist = get_scoped(Shortlist, shortlist_id, g.org_id)
    if shortlist is None:
        raise not_found("Shortlist")
    return shortlist


def _uuid(value: str):
    from webapp.tenancy import parse_uuid

    return parse_uuid(value)
