"""Issuing, the credential lifecycle, corrections, bulk issuing and recognitions over real HTTP."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.helpers import (
    accredited_provider,
    approved_programme,
    build_world,
    created,
    credential_in,
    problem,
    programme_approved_between,
    submitted_programme,
    transcript_of,
)


def _in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _issue_body(world, **overrides):
    return {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01", **overrides}


# -- issuing --------------------------------------------------------------------------------

def test_issuing_answers_with_the_credential_id_learner_status_and_position(api):
    world = build_world(api)
    response = world.provider.post("/v1/credentials", _issue_body(world, grade="A"))
    body = created(response)
    assert uuid.UUID(body["id"])
    assert body["learner_id"] == world.learner_id
    assert body["status"] == "active"
    assert isinstance(body["position"], int) and body["position"] > 0


def test_provider_not_accredited_on_the_award_date_cannot_issue(api):
    world = build_world(api)
    qa = world.qa
    late = created(qa.post("/v1/providers", {"name": "Late College", "country": "GE",
                                             "kind": "vocational"}))["id"]
    created(qa.post(f"/v1/providers/{late}/accreditations",
                    {"valid_from": "2025-01-01", "valid_until": "2029-12-31"}))
    programme_id = approved_programme(api, late)  # approved from 2024-01-15
    caller = api.as_("provider", late)
    body = {"learner_id": world.learner_id, "microcredential_id": programme_id}
    problem(caller.post("/v1/credentials", {**body, "awarded_on": "2024-06-01"}), 409)
    created(caller.post("/v1/credentials", {**body, "awarded_on": "2025-06-01"}))


def test_provider_whose_accreditation_was_withdrawn_cannot_issue_after_the_withdrawal(api):
    world = build_world(api)
    created(world.qa.post(f"/v1/providers/{world.provider_id}/accreditations/withdraw",
                          {"reason": "QA review failed", "effective_on": "2025-06-01"}), 200)
    problem(world.provider.post("/v1/credentials", _issue_body(world, awarded_on="2025-07-01")),
            409)
    created(world.provider.post("/v1/credentials", _issue_body(world, awarded_on="2025-05-01")))


def test_programme_not_yet_approved_cannot_be_awarded(api):
    world = build_world(api)
    programme_id = submitted_programme(api, world.provider_id)
    response = world.provider.post("/v1/credentials",
                                   _issue_body(world, microcredential_id=programme_id))
    problem(response, 409)


def test_programme_cannot_be_awarded_before_its_approval(api):
    world = build_world(api)  # approved on 2024-01-15
    problem(world.provider.post("/v1/credentials", _issue_body(world, awarded_on="2023-12-01")),
            409)


def test_programme_past_its_review_date_cannot_be_awarded(api):
    world = build_world(api)
    lapsed = programme_approved_between(api, world.provider_id, "2024-01-15", "2024-12-31")
    body = _issue_body(world, microcredential_id=lapsed)
    problem(world.provider.post("/v1/credentials", {**body, "awarded_on": "2025-03-01"}), 409)
    created(world.provider.post("/v1/credentials", {**body, "awarded_on": "2024-12-31"}))


def test_provider_cannot_award_another_providers_programme(api):
    world = build_world(api)
    other = accredited_provider(api, name="Georgian Technical University")
    # The programme names its own provider as the issuer, so the caller acts outside its
    # scope: the code answers 403 (Forbidden) rather than 409.
    response = api.as_("provider", other).post("/v1/credentials", _issue_body(world))
    problem(response, 403)


def test_award_date_in_the_future_is_refused(api):
    world = build_world(api)
    response = world.provider.post("/v1/credentials", _issue_body(world, awarded_on=_in_days(3)))
    body = problem(response, 409)
    assert "future" in body["detail"]


def test_issuing_to_an_unknown_learner_is_not_found(api):
    world = build_world(api)
    response = world.provider.post("/v1/credentials",
                                   _issue_body(world, learner_id=str(uuid.uuid4())))
    problem(response, 404)


def test_issuing_an_unknown_programme_is_not_found(api):
    world = build_world(api)
    response = world.provider.post("/v1/credentials",
                                   _issue_body(world, microcredential_id=str(uuid.uuid4())))
    problem(response, 404)


# -- lifecycle ------------------------------------------------------------------------------

def test_revoking_answers_revoked_with_a_position_and_shows_in_the_transcript(api):
    world = build_world(api)
    issued = world.issue()
    response = world.provider.post(f"/v1/credentials/{issued['id']}/revoke",
                                   {"reason": "Assessment malpractice"})
    body = created(response, 200)
    assert body["status"] == "revoked"
    assert body["position"] > issued["position"]
    credential = credential_in(transcript_of(world.learner, world.learner_id, body["position"]),
                               issued["id"])
    assert credential["status"] == "revoked"
    assert [h["event"] for h in credential["history"]] == ["CredentialIssued",
                                                           "CredentialRevoked"]
    assert credential["history"][-1]["reason"] == "Assessment malpractice"


def test_revoking_a_revoked_credential_is_a_conflict(api):
    world = build_world(api)
    issued = world.issue()
    path = f"/v1/credentials/{issued['id']}/revoke"
    created(world.provider.post(path, {"reason": "Assessment malpractice"}), 200)
    problem(world.provider.post(path, {"reason": "Again"}), 409)


def test_revoked_credential_cannot_be_suspended_or_reinstated(api):
    world = build_world(api)
    issued = world.issue()
    created(world.provider.post(f"/v1/credentials/{issued['id']}/revoke", {"reason": "Fraud"}),
            200)
    for action in ("suspend", "reinstate"):
        problem(world.provider.post(f"/v1/credentials/{issued['id']}/{action}",
                                    {"reason": "Try"}), 409)


def test_suspended_credential_is_active_again_after_reinstatement(api):
    world = build_world(api)
    issued = world.issue()
    suspended = created(world.provider.post(f"/v1/credentials/{issued['id']}/suspend",
                                            {"reason": "Under investigation"}), 200)
    assert suspended["status"] == "suspended"
    reinstated = created(world.provider.post(f"/v1/credentials/{issued['id']}/reinstate",
                                             {"reason": "Investigation closed"}), 200)
    assert reinstated["status"] == "active"
    assert reinstated["position"] > suspended["position"]
    credential = credential_in(
        transcript_of(world.learner, world.learner_id, reinstated["position"]), issued["id"])
    assert credential["status"] == "active"
    assert [h["event"] for h in credential["history"]] == [
        "CredentialIssued", "CredentialSuspended", "CredentialReinstated"]


def test_reinstating_an_active_credential_is_a_conflict(api):
    world = build_world(api)
    issued = world.issue()
    problem(world.provider.post(f"/v1/credentials/{issued['id']}/reinstate",
                                {"reason": "Nothing to reinstate"}), 409)


def test_qa_body_may_revoke_any_credential(api):
    world = build_world(api)
    issued = world.issue()
    body = created(world.qa.post(f"/v1/credentials/{issued['id']}/revoke",
                                 {"reason": "Provider's accreditation was obtained by fraud"}),
                   200)
    assert body["status"] == "revoked"


def test_another_provider_cannot_revoke_a_credential_it_did_not_issue(api):
    world = build_world(api)
    issued = world.issue()
    other = accredited_provider(api, name="Georgian Technical University")
    problem(api.as_("provider", other).post(f"/v1/credentials/{issued['id']}/revoke",
                                            {"reason": "Not mine"}), 403)


def test_revoking_an_unknown_credential_is_not_found(api):
    world = build_world(api)
    problem(world.provider.post(f"/v1/credentials/{uuid.uuid4()}/revoke", {"reason": "?"}), 404)


# -- corrections ----------------------------------------------------------------------------

def test_correction_keeps_both_versions_in_the_history(api):
    world = build_world(api)
    issued = world.issue(grade="B")
    corrected = created(world.provider.post(
        f"/v1/credentials/{issued['id']}/correct",
        {"grade": "A", "awarded_on": "2025-02-20", "reason": "Transcription error"}), 200)
    credential = credential_in(
        transcript_of(world.learner, world.learner_id, corrected["position"]), issued["id"])
    assert credential["grade"] == "A"
    assert credential["awarded_on"] == "2025-02-20"
    entry = credential["history"][-1]
    assert entry["event"] == "CredentialCorrected"
    assert entry["changes"] == {"grade": "A", "awarded_on": "2025-02-20"}
    assert entry["previous"] == {"grade": "B", "awarded_on": "2025-03-01"}
    assert entry["reason"] == "Transcription error"
    assert credential["history"][0]["event"] == "CredentialIssued"


def test_corrected_award_date_must_still_satisfy_the_award_rules(api):
    world = build_world(api)  # provider accredited from 2020, programme approved from 2024-01-15
    issued = world.issue()
    path = f"/v1/credentials/{issued['id']}/correct"
    for awarded_on in ("2023-06-01", "2019-06-01", _in_days(3)):
        problem(world.provider.post(path, {"awarded_on": awarded_on, "reason": "Typo"}), 409)
    created(world.qa.post(f"/v1/providers/{world.provider_id}/accreditations/withdraw",
                          {"reason": "QA review failed", "effective_on": "2025-06-01"}), 200)
    problem(world.provider.post(path, {"awarded_on": "2025-07-01", "reason": "Typo"}), 409)
    created(world.provider.post(path, {"awarded_on": "2025-05-01", "reason": "Typo"}), 200)


def test_only_the_issuing_provider_may_correct(api):
    world = build_world(api)
    issued = world.issue()
    other = accredited_provider(api, name="Georgian Technical University")
    path = f"/v1/credentials/{issued['id']}/correct"
    problem(api.as_("provider", other).post(path, {"grade": "A", "reason": "Typo"}), 403)
    problem(world.qa.post(path, {"grade": "A", "reason": "Typo"}), 403)


def test_revoked_credential_cannot_be_corrected(api):
    world = build_world(api)
    issued = world.issue()
    created(world.provider.post(f"/v1/credentials/{issued['id']}/revoke", {"reason": "Fraud"}),
            200)
    problem(world.provider.post(f"/v1/credentials/{issued['id']}/correct",
                                {"grade": "A", "reason": "Typo"}), 409)


# -- bulk -----------------------------------------------------------------------------------

def test_bulk_issue_answers_one_result_per_item_in_order(api):
    world = build_world(api)
    items = [_issue_body(world, grade=str(n)) for n in range(3)]
    body = created(world.provider.post("/v1/credentials/bulk", {"items": items}), 200)
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert all(r["status"] == "created" and uuid.UUID(r["id"]) for r in body["results"])
    assert len({r["id"] for r in body["results"]}) == 3
    transcript = transcript_of(world.learner, world.learner_id, body["position"])
    assert {c["id"] for c in transcript["credentials"]} == {r["id"] for r in body["results"]}


def test_bulk_items_succeed_or_fail_each_on_their_own(api):
    world = build_world(api)
    items = [
        _issue_body(world),
        _issue_body(world, awarded_on=_in_days(5)),                # rule: future date
        _issue_body(world, learner_id=str(uuid.uuid4())),          # unknown learner
        {"learner_id": world.learner_id, "awarded_on": "2025-03-01"},  # shape: no programme
        _issue_body(world, awarded_on="not a date"),               # shape: bad date
        _issue_body(world, grade="A"),
    ]
    body = created(world.provider.post("/v1/credentials/bulk", {"items": items}), 200)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == ["created", "failed", "failed", "failed", "failed",
                                              "created"]
    for result in results:
        if result["status"] == "created":
            assert "id" in result and "error" not in result
        else:
            assert result["error"] and "id" not in result
    assert "future" in results[1]["error"]
    assert "microcredential_id" in results[3]["error"]
    assert "awarded_on" in results[4]["error"]
    transcript = transcript_of(world.learner, world.learner_id, body["position"])
    assert {c["id"] for c in transcript["credentials"]} == {results[0]["id"], results[5]["id"]}


def test_bulk_of_more_than_ten_thousand_items_is_refused(api):
    world = build_world(api)
    items = [_issue_body(world)] * 10_001
    problem(world.provider.post("/v1/credentials/bulk", {"items": items}), 422)


# -- recognitions ---------------------------------------------------------------------------

def _recognition_body(api) -> str:
    org = created(api.as_("qa_body").post(
        "/v1/providers", {"name": "ENIC-NARIC Georgia", "country": "GE",
                          "kind": "recognition_body"}))
    return org["id"]


def test_recognition_body_records_a_recognition_that_appears_in_the_transcript(api):
    world = build_world(api)
    issued = world.issue()
    body_id = _recognition_body(api)
    recognition = created(api.as_("recognition_body", body_id).post("/v1/recognitions", {
        "credential_id": issued["id"], "decision": "recognised",
        "toward": "BSc Public Administration", "ects_recognised": 5.0,
        "decided_on": "2025-09-01", "reference": "REC-2025-0042"}))
    transcript = transcript_of(world.learner, world.learner_id, recognition["position"])
    [entry] = transcript["recognitions"]
    assert entry["recognition_id"] == recognition["id"]
    assert entry["credential_id"] == issued["id"]
    assert entry["body_id"] == body_id
    assert entry["decision"] == "recognised"
    assert entry["toward"] == "BSc Public Administration"
    assert entry["ects_recognised"] == 5.0


def test_revoked_credential_cannot_be_recognised(api):
    world = build_world(api)
    issued = world.issue()
    created(world.provider.post(f"/v1/credentials/{issued['id']}/revoke", {"reason": "Fraud"}),
            200)
    caller = api.as_("recognition_body", _recognition_body(api))
    problem(caller.post("/v1/recognitions", {"credential_id": issued["id"],
                                             "decision": "recognised", "toward": "BSc"}), 409)


def test_recognising_an_unknown_credential_is_not_found(api):
    caller = api.as_("recognition_body", _recognition_body(api))
    problem(caller.post("/v1/recognitions", {"credential_id": str(uuid.uuid4()),
                                             "decision": "recognised", "toward": "BSc"}), 404)


def test_a_provider_cannot_record_a_recognition(api):
    world = build_world(api)
    issued = world.issue()
    problem(world.provider.post("/v1/recognitions", {"credential_id": issued["id"],
                                                     "decision": "recognised",
                                                     "toward": "BSc"}), 403)
