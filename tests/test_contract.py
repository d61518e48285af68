"""Contract fuzzing: schemathesis generates requests from /openapi.json against a real server.

Every operation the service documents is called with generated parameters and bodies; no answer
may be a server error, and every answer must match what the schema promises (status codes,
content types, response bodies). The server is the read-only session service on loopback.
schemathesis's pytest plugin does not run under pytest 9, so the operations are driven through
its Python API: one Hypothesis run per operation, failures collected and reported together.
"""

from __future__ import annotations

import schemathesis
from conftest import RunningService
from hypothesis import HealthCheck, given, settings

EXAMPLES = 20
#: a SPARQL query, an RDF body or an IRI can match its schema (a string) and still be malformed:
#: refusing it with 400 is the contract, so "schema-valid data must be accepted" does not apply
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def test_every_operation_keeps_its_contract(sparql_service: RunningService) -> None:
    schema = schemathesis.openapi.from_url(sparql_service.base + "/openapi.json")
    failures: dict[str, str] = {}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=sparql_service.base, timeout=60, excluded_checks=EXCLUDED)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every operation is reported, not the first
            failures[operation.label] = str(exc)[:1500]
        checked += 1
    assert checked >= 10
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
