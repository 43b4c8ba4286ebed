"""Who may do what: each principal acts within its scope, and public reads reveal no one."""

from datetime import UTC, datetime

import pytest

from tests.helpers import (
    PROGRAMME,
    accredited_provider,
    build_world,
    created,
    days_from_today,
    problem,
    programme_approved_between,
    transcript_of,
)

TAMAR = {"given_name": "Tamar", "family_name": "Kvaratskhelia", "birth_date": "1999-02-03",
         "national_id": "01019081234"}

# Transcript reads are checked alike today and `as_of` a past moment (a replay of the learner's
# stream, not the read model): both stores today, SQLite as of a moment.
TRANSCRIPT_READS = pytest.mark.parametrize(("settings", "as_of"), [
    ("sqlite", False), ("postgres", False), ("sqlite", True)], indirect=["settings"])


def read_transcript(caller, learner_id: str, position: int, as_of: bool):
    """GET the transcript once the read models reach `position`; with `as_of`, as it stood
    now (after everything written so far), replayed from the learner's events."""
    params = {"as_of": datetime.now(UTC).isoformat()} if as_of else {}
    return caller.get(f"/v1/learners/{learner_id}/transcript", min_position=position, **params)


def refused(response, *secrets: str) -> None:
    """A 403 that shows none of the learner's data."""
    problem(response, 403)
    for secret in secrets:
        assert secret not in response.text


def rival(world):
    """A second accredited provider with its own approved programme, and its caller."""
    other_id = accredited_provider(world.api, name="Ilia State University")
    programme_id = programme_approved_between(world.api, other_id, "2024-01-15", "2026-12-31")
    return other_id, programme_id, world.api.as_("provider", other_id)


def test_a_provider_cannot_submit_a_programme_for_another_provider(api):
    world = build_world(api)
    other_id, _, _ = rival(world)
    problem(world.provider.post("/v1/microcredentials", {**PROGRAMME, "provider_id": other_id}),
            403)


def test_a_provider_cannot_award_another_providers_programme(api):
    world = build_world(api)
    _, other_programme, _ = rival(world)
    body = {"learner_id": world.learner_id, "microcredential_id": other_programme,
            "awarded_on": "2025-03-01"}
    problem(world.provider.post("/v1/credentials", body), 403)


def test_a_provider_cannot_change_another_providers_credential(api, subtests):
    world = build_world(api)
    issued = world.issue()
    _, _, other = rival(world)
    path = f"/v1/credentials/{issued['id']}"
    for action, body in (("revoke", {"reason": "x"}), ("suspend", {"reason": "x"}),
                         ("correct", {"reason": "x", "grade": "F"})):
        with subtests.test(action=action):
            problem(other.post(f"{path}/{action}", body), 403)
    # Reinstating needs a suspended credential: the issuer suspends, the rival may not undo it.
    suspended = created(world.provider.post(f"{path}/suspend", {"reason": "inquiry"}), 200)
    problem(other.post(f"{path}/reinstate", {"reason": "x"}), 403)
    transcript = transcript_of(world.learner, world.learner_id, suspended["position"])
    assert transcript["credentials"][0]["status"] == "suspended"
    assert transcript["credentials"][0].get("grade") != "F"


def test_the_qa_body_may_suspend_and_revoke_but_not_correct_a_credential(api):
    world = build_world(api)
    issued = world.issue()
    path = f"/v1/credentials/{issued['id']}"
    problem(world.qa.post(f"{path}/correct", {"reason": "x", "grade": "F"}), 403)
    assert created(world.qa.post(f"{path}/suspend", {"reason": "inquiry"}), 200)[
        "status"] == "suspended"
    assert created(world.qa.post(f"{path}/revoke", {"reason": "fraud"}), 200)[
        "status"] == "revoked"


@TRANSCRIPT_READS
def test_a_learner_reads_their_own_transcript_but_not_anothers(api, as_of):
    world = build_world(api)
    learner_id = world.new_learner(**TAMAR)
    issued = world.issue(learner_id=learner_id)
    other_learner = world.new_learner()
    own = read_transcript(api.as_("learner", learner_id), learner_id, issued["position"], as_of)
    assert own.status_code == 200, own.text
    assert own.json()["learner_id"] == learner_id
    assert own.json()["learner"]["family_name"] == TAMAR["family_name"]
    assert ("as_of" in own.json()) is as_of
    assert own.headers["cache-control"] == "no-store"
    assert own.headers["x-content-type-options"] == "nosniff"
    refused(read_transcript(api.as_("learner", other_learner), learner_id, issued["position"],
                            as_of), *TAMAR.values(), issued["id"])


@TRANSCRIPT_READS
def test_an_auditor_reads_any_transcript(api, as_of):
    world = build_world(api)
    issued = world.issue()
    transcript = read_transcript(api.as_("auditor"), world.learner_id, issued["position"], as_of)
    assert transcript.status_code == 200, transcript.text
    assert [c["id"] for c in transcript.json()["credentials"]] == [issued["id"]]


@TRANSCRIPT_READS
def test_a_provider_that_issued_to_a_learner_reads_the_transcript_and_no_other_provider(
        api, as_of):
    world = build_world(api)
    learner_id = world.new_learner(**TAMAR)
    issued = world.issue(learner_id=learner_id)
    transcript = read_transcript(world.provider, learner_id, issued["position"], as_of)
    assert transcript.status_code == 200, transcript.text
    assert [c["id"] for c in transcript.json()["credentials"]] == [issued["id"]]
    _, _, other = rival(world)
    refused(read_transcript(other, learner_id, issued["position"], as_of), *TAMAR.values(),
            issued["id"])
    # Nor the QA body.
    refused(read_transcript(api.as_("qa_body"), learner_id, issued["position"], as_of),
            *TAMAR.values(), issued["id"])


@TRANSCRIPT_READS
def test_a_provider_sees_only_what_it_issued_in_a_transcript(api, as_of):
    world = build_world(api)
    learner_id = world.new_learner(**TAMAR)
    mine = world.issue(learner_id=learner_id)
    _, other_programme, other = rival(world)
    theirs = created(other.post("/v1/credentials", {
        "learner_id": learner_id, "microcredential_id": other_programme,
        "awarded_on": "2025-03-01"}))
    seen = read_transcript(world.provider, learner_id, theirs["position"], as_of)
    assert seen.status_code == 200, seen.text
    assert [c["id"] for c in seen.json()["credentials"]] == [mine["id"]]
    assert theirs["id"] not in seen.text
    by_them = read_transcript(other, learner_id, theirs["position"], as_of).json()
    assert [c["id"] for c in by_them["credentials"]] == [theirs["id"]]
    everything = read_transcript(api.as_("learner", learner_id), learner_id,
                                 theirs["position"], as_of).json()
    assert {c["id"] for c in everything["credentials"]} == {mine["id"], theirs["id"]}


def test_only_a_recognition_body_records_recognition(api, subtests):
    world = build_world(api)
    issued = world.issue()
    body = {"credential_id": issued["id"], "decision": "recognised",
            "toward": "BSc Public Administration", "ects_recognised": 5.0}
    for role, scope in (("provider", world.provider_id), ("learner", world.learner_id),
                        ("qa_body", None), ("admin", None)):
        with subtests.test(role=role):
            problem(api.as_(role, scope).post("/v1/recognitions", body), 403)
    centre = created(api.as_("admin").post("/v1/providers", {
        "name": "ENIC-NARIC Georgia", "country": "GE", "kind": "recognition_body"}))["id"]
    recognised = created(api.as_("recognition_body", centre).post("/v1/recognitions", body))
    transcript = transcript_of(world.learner, world.learner_id, recognised["position"])
    assert [(r["credential_id"], r["decision"]) for r in transcript["recognitions"]] == [
        (issued["id"], "recognised")]


def test_neither_a_learner_nor_an_admin_issues_credentials(api, subtests):
    world = build_world(api)
    body = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01"}
    for role, scope in (("learner", world.learner_id), ("admin", None), ("qa_body", None)):
        with subtests.test(role=role):
            problem(api.as_(role, scope).post("/v1/credentials", body), 403)


def test_public_endpoints_need_no_token_and_reveal_no_personal_data(api, subtests):
    world = build_world(api)
    programme_approved_between(api, world.provider_id, days_from_today(-30),
                               days_from_today(365))
    learner_id = world.new_learner(**TAMAR)
    issued = world.issue(learner_id=learner_id)
    public = api.anonymous()
    for path in ("/v1/register/providers", "/v1/register/microcredentials",
                 f"/v1/verify/{issued['id']}"):
        with subtests.test(path=path):
            response = public.get(path, min_position=issued["position"])
            assert response.status_code == 200, response.text
            for personal in (*TAMAR.values(), learner_id):
                assert personal not in response.text
    verified = public.get(f"/v1/verify/{issued['id']}").json()
    assert (verified["credential_id"], verified["status"]) == (issued["id"], "active")


def test_a_known_national_id_under_other_details_is_a_409_that_reveals_no_id(api):
    world = build_world(api)
    learner_id = world.new_learner(**TAMAR)
    rogue = world.provider
    same = rogue.post("/v1/learners", {**TAMAR, "given_name": " TAMAR "})
    assert same.status_code == 200 and same.json()["id"] == learner_id
    for other in ({"given_name": "Nino"}, {"birth_date": "1999-02-04"}):
        response = rogue.post("/v1/learners", {**TAMAR, **other})
        problem(response, 409)
        assert learner_id not in response.text


def test_public_reads_keep_their_caching_and_every_response_says_nosniff(api):
    world = build_world(api)
    enrolled = world.provider.post("/v1/learners", TAMAR)
    assert enrolled.headers["cache-control"] == "no-store"
    public = api.anonymous().get("/v1/register/providers")
    assert public.status_code == 200
    assert "no-store" not in public.headers.get("cache-control", "")
    assert public.headers["x-content-type-options"] == "nosniff"
    did = api.anonymous().get("/.well-known/did.json")
    assert did.headers["cache-control"].startswith("public")
