"""Reading over real HTTP: own writes via min_position, as-of transcripts, the transcript and
verification shapes, and the operations endpoints."""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from tests.conftest import ServedLedger
from tests.helpers import Api, build_world, created, credential_in, problem, transcript_of

FAR_BEYOND_THE_HEAD = 10**9


@pytest.fixture
def impatient_api(settings: Settings) -> Iterator[Api]:
    """Like `api`, but reads give up waiting for the read models after half a second."""
    built = bootstrap(settings.model_copy(update={"read_wait_seconds": 0.5}))
    try:
        with ServedLedger(built) as base_url, Api(base_url, built) as client:
            yield client
    finally:
        built.close()


# -- reading one's own writes ---------------------------------------------------------------

def test_read_with_min_position_sees_the_write_that_returned_it(api):
    world = build_world(api)
    issued = world.issue()
    revoked = created(world.provider.post(f"/v1/credentials/{issued['id']}/revoke",
                                          {"reason": "Fraud"}), 200)
    transcript = transcript_of(world.learner, world.learner_id, revoked["position"])
    assert transcript["position"] >= revoked["position"]
    assert credential_in(transcript, issued["id"])["status"] == "revoked"


def test_read_beyond_the_head_is_400_at_once_naming_the_head(impatient_api):
    world = build_world(impatient_api)
    head = world.issue()["position"]
    started = time.monotonic()
    response = world.learner.get(f"/v1/learners/{world.learner_id}/transcript",
                                 min_position=FAR_BEYOND_THE_HEAD)
    elapsed = time.monotonic() - started
    body = problem(response, 400)
    assert body["head"] >= head and str(body["head"]) in body["detail"]
    assert elapsed < 1.0
    verify = impatient_api.anonymous().get(f"/v1/verify/{uuid.uuid4()}",
                                           min_position=FAR_BEYOND_THE_HEAD)
    problem(verify, 400)


def test_read_models_that_do_not_catch_up_give_503_and_retry_after(impatient_api):
    world = build_world(impatient_api)
    impatient_api.ledger.runner.stop()  # the projections stop following the store
    issued = world.issue()
    started = time.monotonic()
    response = world.learner.get(f"/v1/learners/{world.learner_id}/transcript",
                                 min_position=issued["position"])
    elapsed = time.monotonic() - started
    problem(response, 503)
    assert int(response.headers["Retry-After"]) >= 1
    assert 0.4 <= elapsed < 5
    verify = impatient_api.anonymous().get(f"/v1/verify/{issued['id']}",
                                           min_position=issued["position"])
    problem(verify, 503)
    assert "Retry-After" in verify.headers


# -- as of a past moment --------------------------------------------------------------------

def _issued_then_revoked(api):
    """Issues and revokes a credential; returns the world, both writes and a moment between."""
    world = build_world(api)
    issued = world.issue()
    between = datetime.now(UTC)
    revoked = created(world.provider.post(f"/v1/credentials/{issued['id']}/revoke",
                                          {"reason": "Fraud"}), 200)
    return world, issued, between, revoked


def test_as_of_gives_the_transcript_as_it_stood_then(api):
    world, issued, between, revoked = _issued_then_revoked(api)
    now = transcript_of(world.learner, world.learner_id, revoked["position"])
    history = credential_in(now, issued["id"])["history"]
    issued_at, revoked_at = (datetime.fromisoformat(h["recorded_at"]) for h in history)
    assert issued_at <= between < revoked_at

    then = transcript_of(world.learner, world.learner_id, revoked["position"],
                         as_of=between.isoformat())
    credential = credential_in(then, issued["id"])
    assert credential["status"] == "active"
    assert [h["event"] for h in credential["history"]] == ["CredentialIssued"]
    assert then["position"] == issued["position"]

    later = transcript_of(world.learner, world.learner_id, revoked["position"],
                          as_of=datetime.now(UTC).isoformat())
    assert credential_in(later, issued["id"])["status"] == "revoked"


def test_as_of_before_the_enrolment_is_not_found(api):
    world = build_world(api)
    response = world.learner.get(f"/v1/learners/{world.learner_id}/transcript",
                                 as_of="2001-01-01T00:00:00Z")
    problem(response, 404)


def test_as_of_without_a_timezone_is_read_as_utc(api):
    world, issued, between, revoked = _issued_then_revoked(api)
    naive = between.replace(tzinfo=None).isoformat()
    then = transcript_of(world.learner, world.learner_id, revoked["position"], as_of=naive)
    assert credential_in(then, issued["id"])["status"] == "active"
    assert datetime.fromisoformat(then["as_of"]) == between


# -- shapes and access ----------------------------------------------------------------------

def test_transcript_has_the_named_fields_of_the_contract(api):
    world = build_world(api)
    issued = world.issue(grade="A")
    transcript = transcript_of(world.learner, world.learner_id, issued["position"])
    assert transcript["learner_id"] == world.learner_id
    assert transcript["recognitions"] == []
    assert isinstance(transcript["position"], int)
    [credential] = transcript["credentials"]
    assert {k: credential[k] for k in ("id", "title", "provider_id", "awarded_on", "ects",
                                       "eqf_level", "status")} == {
        "id": issued["id"], "title": "Data Literacy for Public Servants",
        "provider_id": world.provider_id, "awarded_on": "2025-03-01", "ects": 5.0,
        "eqf_level": 5, "status": "active"}
    [entry] = credential["history"]
    assert entry["event"] == "CredentialIssued"
    assert entry["effective_on"] == "2025-03-01"
    assert entry["position"] == issued["position"]
    assert datetime.fromisoformat(entry["recorded_at"]).tzinfo is not None


def test_transcript_is_read_by_the_learner_an_auditor_and_the_issuer_only(api):
    world = build_world(api)
    issued = world.issue()
    path = f"/v1/learners/{world.learner_id}/transcript"
    for caller in (world.learner, world.provider, api.as_("auditor")):
        created(caller.get(path, min_position=issued["position"]), 200)
    stranger = api.as_("provider", str(uuid.uuid4()))
    problem(stranger.get(path, min_position=issued["position"]), 403)
    problem(api.as_("learner", str(uuid.uuid4())).get(path), 403)
    problem(api.anonymous().get(path), 401)


def test_transcript_of_an_unknown_learner_is_not_found(api):
    problem(api.as_("auditor").get(f"/v1/learners/{uuid.uuid4()}/transcript"), 404)


def test_verification_is_public_and_answers_the_contract_fields(api):
    world = build_world(api)
    issued = world.issue()
    response = api.anonymous().get(f"/v1/verify/{issued['id']}", min_position=issued["position"])
    body = created(response, 200)
    assert body["credential_id"] == issued["id"]
    assert body["status"] == "active"
    assert body["issuer"]["id"] == world.provider_id
    assert body["awarded_on"] == "2025-03-01"
    assert body["provider_accredited_on_award"] is True
    assert body["programme_approved_on_award"] is True
    assert "ნინო" not in response.text and world.learner_id not in response.text


def test_verification_follows_revocation_but_keeps_the_facts_of_the_award(api):
    world = build_world(api)
    issued = world.issue()
    created(world.qa.post(f"/v1/providers/{world.provider_id}/accreditations/withdraw",
                          {"reason": "QA review failed", "effective_on": "2026-01-01"}), 200)
    revoked = created(world.provider.post(f"/v1/credentials/{issued['id']}/revoke",
                                          {"reason": "Fraud"}), 200)
    body = created(api.anonymous().get(f"/v1/verify/{issued['id']}",
                                       min_position=revoked["position"]), 200)
    assert body["status"] == "revoked"
    assert body["provider_accredited_on_award"] is True
    assert body["programme_approved_on_award"] is True


def test_verifying_an_unknown_credential_is_not_found(api):
    world = build_world(api)
    issued = world.issue()
    problem(api.anonymous().get(f"/v1/verify/{uuid.uuid4()}", min_position=issued["position"]),
            404)


# -- operations -----------------------------------------------------------------------------

def test_health_and_readiness_answer_200(api):
    assert api.anonymous().get("/healthz").status_code == 200
    ready = api.anonymous().get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


def test_metrics_expose_requests_batch_sizes_and_projection_lag(api):
    world = build_world(api)
    issued = world.issue()
    transcript_of(world.learner, world.learner_id, issued["position"])
    response = api.anonymous().get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'ledger_http_requests_total{method="POST",route="/v1/credentials",status="201"}' in text
    assert "ledger_append_batch_commands_count" in text
    assert 'ledger_projection_lag_events{projection="transcripts"}' in text
