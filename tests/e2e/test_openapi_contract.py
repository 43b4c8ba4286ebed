"""The OpenAPI document is a contract: schemathesis, run against the demo server, finds no
response that breaks it (status codes, response schemas, media types, no 5xx); and a client
generated from it by openapi-python-client drives the README's walkthrough."""

import importlib
import os
import subprocess
import sys
import types
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
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
CONFIG = Path(__file__).resolve().parents[2] / "docs" / "openapi-python-client.yml"
BIN = Path(sys.executable).parent  # openapi-python-client, and ruff for its formatting
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
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in contract.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        role = ROLE_OF.get(operation.definition.raw["operationId"], "provider")
        headers = {"Authorization": f"Bearer {demo.tokens[role]}"}
        takes_input = any(operation.definition.raw.get(k) for k in ("parameters", "requestBody"))
        modes = GenerationMode if takes_input else [GenerationMode.POSITIVE]
        for mode in modes:
            try:
                _fuzz(operation.as_strategy(generation_mode=mode), headers, statuses)
            except (Exception, BaseExceptionGroup) as error:  # keep going, report them all
                failures.append(f"{operation.label} ({mode.value}): {str(error)[:REPORTED]}")
    assert not failures, "\n\n".join(failures)
    print(f"schemathesis: {sum(statuses.values())} requests, statuses {sorted(statuses.items())}")
    # It reached past validation: successes, refusals by role and by rule, and validation.
    assert sum(statuses.values()) >= len(operations) * EXAMPLES
    assert {200, 403, 404, 422} <= set(statuses), statuses


def _fuzz(cases: SearchStrategy[schemathesis.Case], headers: dict[str, str],
          statuses: Counter[int]) -> None:
    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)
        statuses[response.status_code] += 1

    run()


def test_answers_about_real_records_match_their_schemas(demo: DemoServer) -> None:
    """Fuzzed ids mostly find nothing (404): these calls ask about the demo's real records, so
    that every success schema is checked against a real answer."""
    contract = schemathesis.openapi.from_url(f"{demo.base_url}/openapi.json")
    learner = demo.scopes["learner"]
    as_learner = {"Authorization": f"Bearer {demo.tokens['learner']}"}
    as_auditor = {"Authorization": f"Bearer {demo.tokens['auditor']}"}
    transcript = httpx.get(f"{demo.base_url}/v1/learners/{learner}/transcript",
                           headers=as_learner, timeout=30).json()
    credential = next(c for c in transcript["credentials"] if c["kind"] == "credential")
    stack = next((c for c in transcript["credentials"] if c["kind"] == "stack"), None)
    provider = credential["provider_id"]
    calls = [
        ("GET", "/v1/learners/{learner_id}/transcript", {"learner_id": learner}, {}, as_learner),
        ("GET", "/v1/learners/{learner_id}/transcript", {"learner_id": learner},
         {"as_of": "2999-01-01T00:00:00Z"}, as_auditor),
        ("GET", "/v1/verify/{credential_id}", {"credential_id": credential["id"]}, {}, {}),
        ("GET", "/v1/register/microcredentials/{programme_id}",
         {"programme_id": credential["programme_id"]}, {}, {}),
        ("GET", "/v1/register/providers/{provider_id}", {"provider_id": provider}, {}, {}),
        ("GET", "/v1/register/microcredentials", {}, {"include_history": True}, {}),
        ("GET", "/v1/register/providers", {}, {"include_history": True}, {}),
        ("GET", "/v1/issuers/{issuer_id}", {"issuer_id": provider}, {}, {}),
        ("GET", "/v1/issuers/{provider_id}/endorsements", {"provider_id": provider}, {}, {}),
        ("GET", "/v1/issuers/{provider_id}/endorsements/{number}",
         {"provider_id": provider, "number": 1}, {}, {}),
        ("GET", "/issuers/{owner}/did.json", {"owner": provider}, {}, {}),
        ("GET", "/v1/status-lists/{list_id}", {"list_id": "revocation-0"}, {}, {}),
        ("GET", "/v1/credentials/{credential_id}/ob3", {"credential_id": credential["id"]}, {},
         as_learner),
        ("GET", "/v1/audit/events", {}, {"limit": 50}, as_auditor),
        ("GET", "/v1/audit/verify", {}, {}, as_auditor),
        *[("GET", "/v1/learners/{learner_id}/exports/{kind}",
           {"learner_id": learner, "kind": kind}, {}, as_learner)
          for kind in ("ob3", "clr", "edc", "elmo", "pdf")],
    ]
    if stack:
        calls.append(("GET", "/v1/pathways/{pathway_id}", {"pathway_id": stack["pathway_id"]},
                      {}, {}))
    for method, path, parameters, query, headers in calls:
        case = contract[path][method].Case(path_parameters=parameters, query=query)
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=120)
        assert response.status_code == 200, (path, response.text)


def test_a_generated_client_drives_the_walkthrough(demo: DemoServer, tmp_path: Path) -> None:
    """The README's walkthrough, through a client that openapi-python-client generated from
    the served document: one module per use case (`issue_credential.sync(...)`)."""
    client = generated_client(demo.base_url, tmp_path)
    api, models = client.api, client.models
    anyone = client.Client(base_url=demo.base_url, raise_on_unexpected_status=True)

    def as_(token: str) -> Any:
        return client.AuthenticatedClient(base_url=demo.base_url, token=token,
                                          raise_on_unexpected_status=True)

    # 1. The QA body registers and accredits a provider.
    qa = as_(demo.token("qa_body"))
    provider = api.register_provider.sync(client=qa, body=models.ProviderIn(
        name="Georgian Technical University", country="GE",
        kind=models.ProviderKind.HIGHER_EDUCATION))
    assert isinstance(provider, models.ProviderRegistered), provider
    accredited = api.accredit_provider.sync(
        provider.id, client=qa, body=models.AccreditationIn(
            valid_from=date(2024, 1, 1), valid_until=date(2030, 12, 31),
            decision_reference="NCEQE/2024/101"))
    assert isinstance(accredited, models.ProviderAccredited) and accredited.accredited

    # 2. The provider submits a programme; the QA body approves it.
    issuer = as_(demo.token("provider", provider.id))
    programme = api.submit_programme.sync(client=issuer, body=models.MicroCredentialIn(
        provider_id=provider.id, title="Applied Machine Learning",
        learning_outcomes=["Train and evaluate a supervised model", "Explain its limits"],
        ects=6.0, eqf_level=6, assessment_type="Project with oral defence",
        participation_form=models.ParticipationForm.BLENDED,
        quality_assurance="Internal QA, NCEQE-accredited", language="ka", isced_f="0613"))
    assert isinstance(programme, models.ProgrammeSubmitted), programme
    approved = api.approve_programme.sync(programme.id, client=qa, body=models.ApprovalIn(
        approved_on=date(2025, 2, 1), review_due=date(2028, 1, 31)))
    assert approved.status == models.ProgrammeStatus.APPROVED

    # 3. The provider enrols a learner and issues a credential; a retry with the same
    # Idempotency-Key gets the same credential.
    learner = api.enrol_learner.sync(client=issuer, body=models.LearnerIn(
        given_name="ნინო", family_name="ბერიძე", birth_date=date(2001, 5, 17),
        national_id="01024051234"))
    assert isinstance(learner, models.LearnerEnrolled), learner
    award = models.CredentialIn(learner_id=learner.id, microcredential_id=programme.id,
                                awarded_on=date(2025, 6, 30), grade="A")
    issued = api.issue_credential.sync(client=issuer, body=award, idempotency_key="award-0001")
    assert isinstance(issued, models.CredentialIssued), issued
    assert issued.status == models.CredentialStatus.ACTIVE
    retried = api.issue_credential.sync(client=issuer, body=award, idempotency_key="award-0001")
    assert (retried.id, retried.position) == (issued.id, issued.position)

    # 4. The learner reads their transcript, waiting until the read model has the write.
    reader = as_(demo.token("learner", learner.id))
    transcript = api.get_transcript.sync(learner.id, client=reader,
                                         min_position=issued.position)
    assert isinstance(transcript, models.Transcript), transcript
    assert [c.id for c in transcript.credentials] == [issued.id]
    assert transcript.credentials[0].title == "Applied Machine Learning"
    assert transcript.learner.given_name == "ნინო"

    # Anyone verifies; the public register lists the approved programme.
    verified = api.verify_credential.sync(issued.id, client=anyone)
    assert isinstance(verified, models.CredentialVerification), verified
    assert verified.status == models.CredentialStatus.ACTIVE
    assert verified.provider_accredited_on_award and verified.programme_approved_on_award
    page = api.search_programmes.sync(client=anyone, q="machine",
                                      min_position=approved.position)
    assert programme.id in [entry.id for entry in page.items]

    # Errors arrive as the contract's Problem: another provider may not read the transcript.
    refused = api.get_transcript.sync(learner.id, client=as_(demo.tokens["provider"]))
    assert isinstance(refused, models.Problem) and refused.status == 403, refused


@dataclass(frozen=True)
class GeneratedClient:
    Client: Any
    AuthenticatedClient: Any
    api: Any  # the use cases by name: api.issue_credential.sync(...)
    models: Any


def generated_client(base_url: str, folder: Path) -> GeneratedClient:
    """openapi-python-client's client of the served document, generated into `folder` (never
    committed) and imported from there."""
    package = f"ledger_client_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--url", f"{base_url}/openapi.json",
         "--meta", "none", "--output-path", str(folder / package), "--config", str(CONFIG)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        root = importlib.import_module(package)
        models = importlib.import_module(f"{package}.models")
        modules = {path.stem: importlib.import_module(
            f"{package}.api.{path.parent.name}.{path.stem}")
            for path in (folder / package / "api").glob("*/*.py") if path.stem != "__init__"}
    finally:
        sys.path.remove(str(folder))
    return GeneratedClient(root.Client, root.AuthenticatedClient,
                           types.SimpleNamespace(**modules), models)
