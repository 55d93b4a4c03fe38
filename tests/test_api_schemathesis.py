"""Property-based run over the OpenAPI document: no 5xx and no response outside the schema.

Schemathesis reads /api/v1/openapi.json from the WSGI app and generates requests for every
operation (a bounded number of examples each, derandomized so the run is repeatable and fast).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_api_helpers import make_key

MAX_EXAMPLES = 8


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_api_conforms_to_its_openapi_document(app, org):
    app.config["HERALD"].api_rate_limit = 100_000  # the run itself must not be rate limited
    headers = {"Authorization": f"Bearer {make_key(org)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run_case(case):
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.append(response.status_code)

        try:
            run_case()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers, not only the authentication in front of them.
    assert len(statuses) > 3 * len(operations)
    assert {200, 422} <= set(statuses), sorted(set(statuses))
