"""Idempotency-Key over real HTTP, on SQLite and PostgreSQL: a retry returns the first answer
and appends nothing; a reused key with another body is refused; keys belong to a principal."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.committer import Outcome
from ledger.store import side_tables
from tests.helpers import (
    Post,
    accredited_provider,
    approved_programme,
    build_world,
    count_events,
    enrol,
    post_together,
    problem,
)


def _credential(world, **extra):
    return {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01", **extra}


def test_a_retried_request_returns_the_first_answer_and_appends_nothing(api):
    world = build_world(api)
    key = f"issue-{uuid.uuid4()}"
    body = _credential(world, grade="A")

    first = world.provider.post("/v1/credentials", body, key=key)
    assert first.status_code == 201, first.text
    events = count_events(api.ledger)
    head = api.ledger.app.recorder.max_notification_id()

    second = world.provider.post("/v1/credentials", body, key=key)
    assert second.status_code == first.status_code
    assert second.json() == first.json()
    assert second.json()["position"] == first.json()["position"]
    assert count_events(api.ledger) == events
    assert count_events(api.ledger, "CredentialIssued") == 1
    assert api.ledger.app.recorder.max_notification_id() == head


def test_a_retried_enrolment_returns_the_first_answer_and_appends_nothing(api):
    world = build_world(api)
    key = f"enrol-{uuid.uuid4()}"
    body = {"given_name": "ლევან", "family_name": "გოგიჩაიშვილი", "birth_date": "1998-02-03",
            "national_id": "01001099911"}
    first = world.provider.post("/v1/learners", body, key=key)
    assert first.status_code == 201, first.text
    events = count_events(api.ledger)
    second = world.provider.post("/v1/learners", body, key=key)
    assert (second.status_code, second.json()) == (201, first.json())
    assert count_events(api.ledger) == events


def test_a_keyed_enrolment_of_someone_enrolled_answers_200_and_its_retry_200_again(api):
    """The route's status policy (created 201, found 200) travels with the command and is
    stored with the answer: the retry does not turn the 200 into the route's 201."""
    world = build_world(api)
    body = {"given_name": "ლევან", "family_name": "გოგიჩაიშვილი", "birth_date": "1998-02-03",
            "national_id": uuid.uuid4().hex[:11]}
    enrolled = world.provider.post("/v1/learners", body)
    assert enrolled.status_code == 201, enrolled.text
    key = f"enrol-again-{uuid.uuid4()}"
    found = world.provider.post("/v1/learners", body, key=key)
    assert (found.status_code, found.json()["id"]) == (200, enrolled.json()["id"])
    again = world.provider.post("/v1/learners", body, key=key)
    assert (again.status_code, again.json()) == (200, found.json())


def test_an_answer_stored_by_an_earlier_release_replays_exactly_as_stored(api):
    """A stored row (status and body, as releases before typed outcomes wrote them) is the
    answer to its retry, whatever the route's status policy says today: 202 here, a code the
    route never answers itself."""
    world = build_world(api)
    body = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01", "grade": "A", "assessment": None}
    actor = api.ledger.principals.authenticate(world.provider.token)
    key = f"earlier-{uuid.uuid4()}"
    bound = api.ledger.idempotency(actor, key, "POST", "/v1/credentials", body)
    stored = {"id": str(uuid.uuid4()), "learner_id": world.learner_id, "status": "active",
              "position": 7}
    with api.ledger.database.transaction() as cursor:
        side_tables.record_response(cursor, actor.principal_id, key, bound.request_hash, 202,
                                    stored)
    issued = count_events(api.ledger, "CredentialIssued")
    replay = world.provider.post("/v1/credentials", body, key=key)
    assert (replay.status_code, replay.json()) == (202, stored)
    assert count_events(api.ledger, "CredentialIssued") == issued


def test_the_same_key_with_a_different_body_is_refused_with_422(api):
    world = build_world(api)
    key = f"issue-{uuid.uuid4()}"
    first = world.provider.post("/v1/credentials", _credential(world, grade="A"), key=key)
    assert first.status_code == 201, first.text
    events = count_events(api.ledger)

    other = world.provider.post("/v1/credentials", _credential(world, grade="B"), key=key)
    problem(other, 422)
    assert count_events(api.ledger) == events
    # The same key on another endpoint is a different request too.
    elsewhere = world.provider.post(f"/v1/credentials/{first.json()['id']}/revoke",
                                    {"reason": "mistake"}, key=key)
    problem(elsewhere, 422)
    assert count_events(api.ledger) == events
    # The original request is still answered as it was.
    again = world.provider.post("/v1/credentials", _credential(world, grade="A"), key=key)
    assert (again.status_code, again.json()) == (201, first.json())


class HeldCommitter:
    """Holds the group committer on a command of its own until released, so that requests
    sent meanwhile wait in its queue and are then taken into one batch together."""

    def __init__(self, ledger) -> None:
        self.ledger = ledger
        self.holding, self.release = threading.Event(), threading.Event()
        self.done = ledger.submit(self._hold)
        assert self.holding.wait(30), "the committer did not take the holding command"

    def _hold(self, _uow) -> Outcome:
        self.holding.set()
        assert self.release.wait(60), "the test never released the committer"
        return Outcome({})

    def wait_for_queued(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.ledger.committer.queue_depth < count:
            assert time.monotonic() < deadline, "the requests did not reach the committer"
            time.sleep(0.01)  # polling a condition with a deadline
        assert self.ledger.committer.queue_depth == count

    def let_go(self) -> None:
        self.release.set()
        self.done.result(timeout=30)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # the committer, not the store
def test_the_same_key_with_another_body_in_one_batch_is_refused_with_422(api):
    world = build_world(api)
    key = f"issue-{uuid.uuid4()}"
    bodies = {"A": _credential(world, grade="A"), "B": _credential(world, grade="B")}
    before = count_events(api.ledger, "CredentialIssued")

    held = HeldCommitter(api.ledger)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            sent = {grade: pool.submit(world.provider.post, "/v1/credentials", body, key)
                    for grade, body in bodies.items()}
            held.wait_for_queued(2)  # both wait for the committer: they form its next batch
            held.let_go()
            responses = {grade: future.result(timeout=60) for grade, future in sent.items()}
    finally:
        held.release.set()

    statuses = sorted(r.status_code for r in responses.values())
    assert statuses == [201, 422], {g: r.text for g, r in responses.items()}
    [(winner, accepted)] = [(g, r) for g, r in responses.items() if r.status_code == 201]
    [refused] = [r for r in responses.values() if r.status_code == 422]
    assert "different request body" in problem(refused, 422)["detail"]
    issued = accepted.json()
    api.ledger.wait_for(issued["position"])
    assert api.ledger.read_models.get("transcripts", issued["id"])["grade"] == winner
    assert count_events(api.ledger, "CredentialIssued") == before + 1
    # Afterwards the key still answers the winner's body alike and refuses the other.
    loser = "B" if winner == "A" else "A"
    again = world.provider.post("/v1/credentials", bodies[winner], key=key)
    assert (again.status_code, again.json()) == (201, accepted.json())
    problem(world.provider.post("/v1/credentials", bodies[loser], key=key), 422)


def test_fifty_concurrent_requests_with_one_key_issue_exactly_one_credential(api):
    world = build_world(api)
    key = f"issue-{uuid.uuid4()}"
    body = _credential(world, grade="A")
    token = api.token("provider", world.provider_id)
    before = count_events(api.ledger, "CredentialIssued")

    responses = post_together(api.base_url,
                              [Post(token, "/v1/credentials", body, key) for _ in range(50)])

    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses]
    bodies = [r.json() for r in responses]
    assert all(b == bodies[0] for b in bodies), bodies
    assert count_events(api.ledger, "CredentialIssued") == before + 1
    row = api.ledger.database.query_one(
        "SELECT learner_id FROM credential_index WHERE credential_id = ?", (bodies[0]["id"],))
    assert row["learner_id"] == world.learner_id


def test_idempotency_keys_are_scoped_to_the_principal(api):
    world = build_world(api)
    other_provider = accredited_provider(api, name="Batumi Shota Rustaveli State University")
    other_programme = approved_programme(api, other_provider)
    other_caller = api.as_("provider", other_provider)
    other_learner = enrol(other_caller)
    key = "shared-key-0001"

    mine = world.provider.post("/v1/credentials", _credential(world), key=key)
    theirs = other_caller.post("/v1/credentials",
                               {"learner_id": other_learner,
                                "microcredential_id": other_programme,
                                "awarded_on": "2025-05-05"}, key=key)

    assert mine.status_code == 201, mine.text
    assert theirs.status_code == 201, theirs.text
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["learner_id"] == other_learner
    assert count_events(api.ledger, "CredentialIssued") == 2
    # Each principal's retry still returns its own first answer.
    again = world.provider.post("/v1/credentials", _credential(world), key=key)
    assert again.json() == mine.json()
    again = other_caller.post("/v1/credentials",
                              {"learner_id": other_learner,
                               "microcredential_id": other_programme,
                               "awarded_on": "2025-05-05"}, key=key)
    assert again.json() == theirs.json()
    assert count_events(api.ledger, "CredentialIssued") == 2


def test_a_retried_bulk_request_returns_the_same_results_and_appends_nothing(api):
    world = build_world(api)
    learners = [world.new_learner() for _ in range(3)]
    api.ledger.bulk_chunk_size = 2  # several group-committed chunks per request
    items = [_credential(world, learner_id=learner) for learner in learners]
    items += [
        _credential(world, learner_id=str(uuid.uuid4())),  # unknown learner: fails alone
        {"learner_id": learners[0]},  # invalid body: fails alone
        _credential(world, learner_id=learners[1], awarded_on="2025-06-01"),
    ]
    key = f"bulk-{uuid.uuid4()}"

    first = world.provider.post("/v1/credentials/bulk", {"items": items}, key=key)
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["status"] for r in results] == [
        "created", "created", "created", "failed", "failed", "created"]
    assert [r["index"] for r in results] == list(range(6))
    ids = [r["id"] for r in results if r["status"] == "created"]
    assert len(set(ids)) == 4
    events = count_events(api.ledger)
    assert count_events(api.ledger, "CredentialIssued") == 4

    second = world.provider.post("/v1/credentials/bulk", {"items": items}, key=key)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert count_events(api.ledger) == events

    changed = world.provider.post("/v1/credentials/bulk", {"items": items[:2]}, key=key)
    problem(changed, 422)
    assert count_events(api.ledger) == events


def test_a_keyed_bulk_request_holding_what_orjson_refuses_fails_its_item_not_the_request(api):
    """Found by schemathesis: bulk items are kept as sent, and an integer past 64 bits made the
    request's digest (for its Idempotency-Key) a 500. Now only that item fails, and a retry
    is recognised as the same request."""
    world = build_world(api)
    items = [_credential(world), {"grade": 2**70}]
    key = f"bulk-{uuid.uuid4()}"
    first = world.provider.post("/v1/credentials/bulk", {"items": items}, key=key)
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()["results"]] == ["created", "failed"]
    again = world.provider.post("/v1/credentials/bulk", {"items": items}, key=key)
    assert again.json() == first.json()
    assert count_events(api.ledger, "CredentialIssued") == 1
