"""The OpenAPI document is a contract: schemathesis, run against the demo server, finds no
response that breaks it (status codes, response schemas, media types, no 5xx)."""

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.demo_server import DemoServer, demo_server

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]
# Which demo principal calls each operation: the role it is for, so that fuzzing gets past
# the role check into validation and the rules (the rest is answered 403, also checked).
ROLE_OF = {
    "register_provider": "qa_body", "accredit_provider": "qa_body",
    "withdraw_accreditation": "qa_body", "approve_programme": "qa_body",
    "reject_programme": "qa_body", "withdraw_programme": "qa_body",
    "list_audit_events": "auditor", "verify_audit_chain": "auditor", "erase_learner": "admin",
    "record_recognition": "recognition_body", "get_transcript": "learner",
    "export_learner_record": "learner", "share_credential": "learner",
    "get_shared_credential": "learner",
}
# Examples per operation and generation mode (valid and invalid input): a few minutes in all.
EXAMPLES = 25
REPORTED = 4000  # characters of each failure (a reproducing curl can be long)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("demo")) as server:
        yield server


def test_the_demo_server_keeps_its_contract(demo: DemoServer) -> None:
    """Every operation, with valid and with invalid input; every failure is reported (the
    operation, the check, the request to reproduce it), not only the first."""
    contract = schemathesis.openapi.from_url(f"{demo.base_url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in contract.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        role = ROLE_OF.get(operation.definition.raw["operationId"], "provider")
        headers = {"Authorization": f"Bearer {demo.tokens[role]}"}
        takes_input = any(operation.definition.raw.get(k) for k in ("parameters", "requestBody"))
        modes = GenerationMode if takes_input else [GenerationMode.POSITIVE]
        for mode in modes:
            try:
                _fuzz(operation.as_strategy(generation_mode=mode), headers)
            except (Exception, BaseExceptionGroup) as error:  # keep going, report them all
                failures.append(f"{operation.label} ({mode.value}): {str(error)[:REPORTED]}")
    assert not failures, "\n\n".join(failures)


def _fuzz(cases: SearchStrategy[schemathesis.Case], headers: dict[str, str]) -> None:
    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    run()
