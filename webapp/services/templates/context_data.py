"""Plain-data views of a candidate and a job, as every template context shows them.

Sending, previews, the ``.ics`` builder, campaigns, digests and triggers all use these, so a
variable the studio offers is present in every real send. The PostgreSQL fan-out in
``campaign_sql`` builds the same candidate shape in SQL.
"""

from __future__ import annotations

from typing import Any


def candidate_data(candidate: Any) -> dict[str, Any]:
    return {
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "full_name": candidate.full_name,
        "email": candidate.email,
        "timezone": candidate.timezone,
        "locale": candidate.locale,
        "attributes": dict(candidate.attributes or {}),
    }


def job_data(job: Any) -> dict[str, Any]:
    if job is None:
        return {"title": "", "location": "", "department": "", "attributes": {}}
    return {
        "title": job.title,
        "location": job.location,
        "department": job.department,
        "attributes": dict(job.attributes or {}),
    }
