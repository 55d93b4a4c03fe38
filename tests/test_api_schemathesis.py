"""Property-based run over the OpenAPI document: no 5xx and no response outside the schema.

Schemathesis reads /api/v1/openapi.json from the WSGI app and generates requests for every
operation (a bounded number of examples each, derandomized so the run is repeatable and fast).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_api_helpers import make_key

MAX_EXAMPLES = 8


NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance, status_code_conformance]
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _run(app, org, mode: GenerationMode, checks: list) -> list[int]:
    """Run every operation of the document; return the statuses seen, fail with every problem."""
    app.config["HERALD"].api_rate_limit = 100_000  # the run itself must not be rate limited
    headers = {"Authorization": f"Bearer {make_key(org)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run_case(case):
            response = case.call_and_validate(headers=headers, checks=checks)
            statuses.append(response.status_code)

        try:
            run_case()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers, not only the authentication in front of them.
    assert len(statuses) > 3 * len(operations)
    return statuses


def test_api_conforms_to_its_openapi_document(app, org):
    statuses = _run(app, org, GenerationMode.POSITIVE, CHECKS)
    assert {200, 422} <= set(statuses), sorted(set(statuses))


def test_invalid_requests_get_problems_not_server_errors(app, org):
    """Requests that break the schema (wrong types, missing fields) answer 4xx problems."""
    statuses = _run(app, org, GenerationMode.NEGATIVE, NEGATIVE_CHECKS)
    assert max(statuses) < 500 and 422 in statuses, sorted(set(statuses))
