"""The OpenAPI document is a contract integrators generate clients from: a schema for every
2xx, problem+json on every error, use-case operation ids, enums and examples."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.bootstrap import bootstrap
from services.api.app import create_app
from tests.conftest import make_settings

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Answers that are not problems: readiness says what is unavailable in its own shape.
NOT_PROBLEMS = {("check_readiness", "503")}
USE_CASES = {
    "register_provider", "accredit_provider", "withdraw_accreditation", "submit_programme",
    "approve_programme", "reject_programme", "withdraw_programme", "define_pathway",
    "enrol_learner", "issue_credential", "issue_credentials_in_bulk", "revoke_credential",
    "suspend_credential", "reinstate_credential", "correct_credential", "share_credential",
    "stack_credentials", "record_recognition", "erase_learner", "get_transcript",
    "verify_credential", "verify_document", "search_programmes", "search_providers",
    "export_learner_record", "get_status_list", "list_audit_events", "verify_audit_chain",
}


@pytest.fixture
def document(tmp_path, request) -> Iterator[dict[str, Any]]:
    ledger = bootstrap(make_settings("sqlite", tmp_path, request))
    try:
        yield create_app(ledger).openapi()
    finally:
        ledger.close()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation)
            for path, item in document["paths"].items() for method, operation in item.items()]


def test_operation_ids_are_unique_use_case_names(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", i) for i in ids), ids
    assert set(ids) >= USE_CASES, USE_CASES - set(ids)


def test_every_success_has_a_schema(document):
    for method, path, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, f"{method} {path}"
        for status, response in successes.items():
            content = response.get("content", {})
            assert content, f"{method} {path} {status}"
            for media_type, body in content.items():
                assert body.get("schema"), f"{method} {path} {status} {media_type}: no schema"


def test_every_error_is_a_problem(document):
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45" and (operation["operationId"], status) not in NOT_PROBLEMS:
                assert response.get("content") == PROBLEM, f"{method} {path} {status}"
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "errors" in problem["properties"]


def test_errors_follow_from_what_an_operation_takes(document):
    """A token: 401; a body: 400, 413, 422; `min_position`: 400 and 503."""
    for method, path, operation in operations(document):
        declared = set(operation["responses"])
        if operation.get("security"):
            assert "401" in declared, f"{method} {path}"
        if operation.get("requestBody"):
            assert {"400", "413", "422"} <= declared, f"{method} {path}"
        if "min_position" in {p["name"] for p in operation.get("parameters", [])}:
            assert {"400", "503"} <= declared, f"{method} {path}"


def test_enums_and_examples(document):
    schemas = document["components"]["schemas"]
    assert schemas["CredentialStatus"]["enum"] == ["active", "suspended", "revoked",
                                                   "under_review"]
    assert schemas["ProviderIn"]["properties"]["kind"] == {
        "$ref": "#/components/schemas/ProviderKind"}
    issued = schemas["CredentialIssued"]["properties"]["status"]
    assert issued == {"$ref": "#/components/schemas/CredentialStatus"}
    assert schemas["CredentialIn"]["examples"][0]["awarded_on"] == "2025-06-30"
    assert schemas["Problem"]["examples"]
