"""Property-based run over the OpenAPI document with every schemathesis check: no 5xx, no
response outside its documented status, content type, headers or schema, schema-valid
requests accepted and schema-violating requests refused.

Schemathesis reads /api/v1/openapi.json from the WSGI app and generates requests for every
operation, positive (valid by the document) and negative (breaking it), a bounded number of
examples each, derandomized so the run is repeatable and fast.

Where JSON Schema cannot say what makes a request valid, the operation may also answer 422
to a schema-valid request; those operations are listed below with the reason. Everything
else the server refuses, the document refuses first (formats, patterns, alternatives).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from tests.test_api_helpers import make_key

MAX_EXAMPLES = 8
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
# operation id -> what its 422 depends on that a schema cannot state
SEMANTIC_422 = {
    "create_template": "the MJML and Jinja source must compile",
    "send_message": "the template or candidate named must exist in the organization; an "
    "Idempotency-Key reused with another body is 422 (as the IETF Idempotency-Key draft says)",
    "send_bulk": "an Idempotency-Key reused with another body is 422",
    "upsert_candidate": "an external_id and an email may belong to two different candidates",
    "create_campaign": "the template and shortlist named must exist and be sendable",
    "create_shortlist": "the job named must exist in the organization",
    "stats_funnel": "start and end go together, in order, at most a year apart",
    "stats_timeseries": "start and end go together, in order, at most a year apart",
}
CONFIG = "\n".join(
    [
        "[generation]",
        "allow-x00 = false  # every string refuses NUL, as docs/api.md says",
        *(
            f'[[operations]]\ninclude-operation-id = "{operation_id}"\n'
            f"checks.positive_data_acceptance.expected-statuses = {[*ACCEPTED, '422']!r}"
            for operation_id in SEMANTIC_422
        ),
    ]
)


def all_checks() -> list:
    load_all_checks()
    return list(CHECKS.get_all())


def _run(app, org, mode: GenerationMode) -> list[int]:
    """Run every operation of the document; return the statuses seen, fail with every problem."""
    app.config["HERALD"].api_rate_limit = 100_000  # the run itself must not be rate limited
    headers = {"Authorization": f"Bearer {make_key(org)}"}
    config = SchemathesisConfig.from_str(CONFIG.replace("'", '"'))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    checks = all_checks()
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
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
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers, not only the authentication in front of them.
    assert len(statuses) > 3 * len(operations)
    return statuses


def test_every_check_passes_for_requests_the_document_allows(app, org):
    assert len(all_checks()) >= 14, "every built-in check, not a chosen few"
    statuses = _run(app, org, GenerationMode.POSITIVE)
    assert {200, 201} <= set(statuses), sorted(set(statuses))


def test_every_check_passes_for_requests_the_document_refuses(app, org):
    """Requests that break the schema (wrong types, missing fields) answer 4xx problems."""
    statuses = _run(app, org, GenerationMode.NEGATIVE)
    assert max(statuses) < 500 and 422 in statuses, sorted(set(statuses))
