"""Concurrency from real threads: racing revocations, group commit under load, and a second
writer (another Ledger, as another API process would be) on the same PostgreSQL database."""

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import httpx
import pytest

from ledger import commands, inputs
from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.committer import Outcome
from ledger.domain.errors import Conflict, RuleViolation
from ledger.domain.learner import LearnerRecord
from ledger.unit_of_work import UnitOfWork
from tests.conftest import ServedLedger, free_port
from tests.helpers import (
    Api,
    Caller,
    Post,
    World,
    build_world,
    count_events,
    in_parallel,
    metric_samples,
    post_together,
    problem,
    seed_ledger,
)

WAIT = 30  # seconds: an upper bound on waiting for a condition, never a pause


class Gate:
    """A command that holds the committer thread inside a batch until released, so a test
    can line up what the next batch contains or write from elsewhere in the meantime."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def run(self, uow: UnitOfWork) -> Outcome:
        self.entered.set()
        assert self.release.wait(WAIT), "gate never released"
        return Outcome({})

    def hold(self, ledger: Ledger) -> Future:
        future = ledger.submit(self.run)
        assert self.entered.wait(WAIT), "the committer never reached the gate"
        return future


def _error(future: Future) -> BaseException | None:
    return future.exception(timeout=WAIT)


# -- one process: racing revocations ----------------------------------------------------------

def test_two_concurrent_revocations_give_exactly_one_200_and_one_409(api):
    world = build_world(api)
    learners = [world.learner_id] + [world.new_learner() for _ in range(3)]
    credentials = [world.issue(learner_id=learners[i % 4])["id"] for i in range(30)]
    token = api.token("provider", world.provider_id)

    def race(credential_ids: list[str]) -> None:
        posts = [Post(token, f"/v1/credentials/{cid}/revoke", {"reason": f"race {n}"})
                 for cid in credential_ids for n in (1, 2)]
        responses = post_together(api.base_url, posts)
        for i, cid in enumerate(credential_ids):
            pair = responses[2 * i:2 * i + 2]
            assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
            won = next(r for r in pair if r.status_code == 200).json()
            assert (won["id"], won["status"]) == (cid, "revoked")
            assert won["position"] > 0
            problem(next(r for r in pair if r.status_code == 409), 409)

    for cid in credentials[:20]:  # pairs alone: same batch or consecutive batches
        race([cid])
    race(credentials[20:])  # ten pairs at once
    assert count_events(api.ledger, "CredentialRevoked") == 30


def test_two_revocations_in_one_batch_let_only_the_first_pass(ledger):
    world = _seed(ledger)
    actor = world["provider"]
    credential_id = world["credentials"][0]
    revoked = count_events(ledger, "CredentialRevoked")
    gate = Gate()
    held = gate.hold(ledger)
    first = ledger.submit(commands.change_status(actor, credential_id,
                                                 "revoke", "first"))
    second = ledger.submit(commands.change_status(actor, credential_id,
                                                  "revoke", "second"))
    gate.release.set()

    assert held.result(WAIT).status == 200
    assert first.result(WAIT).body["status"] == "revoked"
    assert isinstance(_error(second), RuleViolation)
    assert count_events(ledger, "CredentialRevoked") == revoked + 1


def test_two_revocations_in_consecutive_batches_let_only_the_first_pass(ledger):
    world = _seed(ledger)
    actor = world["provider"]
    credential_id = world["credentials"][0]
    revoked = count_events(ledger, "CredentialRevoked")
    first = ledger.submit(commands.change_status(actor, credential_id,
                                                 "revoke", "first"))
    assert first.result(WAIT).body["status"] == "revoked"
    second = ledger.submit(commands.change_status(actor, credential_id,
                                                  "revoke", "second"))
    assert isinstance(_error(second), RuleViolation)
    assert count_events(ledger, "CredentialRevoked") == revoked + 1


def test_a_failing_command_does_not_fail_the_rest_of_its_batch(ledger):
    world = _seed(ledger)
    actor = world["provider"]
    revoked, active = world["credentials"][:2]
    ledger.execute_sync(commands.change_status(actor, revoked, "revoke", "x"))
    gate = Gate()
    gate.hold(ledger)
    refused = ledger.submit(commands.change_status(actor, revoked, "revoke",
                                                   "again"))
    issued = ledger.submit(commands.issue_credential(actor, world["item"]))
    suspended = ledger.submit(commands.change_status(actor, active, "suspend",
                                                     "check"))
    gate.release.set()

    assert isinstance(_error(refused), RuleViolation)
    assert issued.result(WAIT).created
    assert suspended.result(WAIT).body["status"] == "suspended"
    record = ledger.app.repository.get(uuid.UUID(world["learner_id"]))
    assert record.credentials[issued.result().body["id"]].status == "active"
    assert record.credentials[active].status == "suspended"


def test_concurrent_enrolments_with_one_national_id_make_one_learner(api):
    world = build_world(api)
    token = api.token("provider", world.provider_id)
    enrolled_before = count_events(api.ledger, "Enrolled")
    body = {"given_name": "მარიამ", "family_name": "წერეთელი", "birth_date": "2003-08-09",
            "national_id": f"GE{uuid.uuid4().hex[:11]}"}

    responses = post_together(api.base_url, [Post(token, "/v1/learners", body)] * 12)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 11 + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert count_events(api.ledger, "Enrolled") == enrolled_before + 1
    assert api.ledger.vault.read(responses[0].json()["id"])["family_name"] == "წერეთელი"


# -- one process: group commit under load -----------------------------------------------------

@pytest.mark.slow  # seconds of load or waiting: not in the fast tier
def test_many_concurrent_issuances_to_many_learners_succeed_in_group_commits(api):
    world = build_world(api)
    learners = [world.learner_id] + [world.new_learner() for _ in range(29)]
    token = api.token("provider", world.provider_id)
    requests = 120
    before = metric_samples(api.http.get("/metrics").text, "ledger_append_batch_commands")
    issued_before = count_events(api.ledger, "CredentialIssued")

    posts = [Post(token, "/v1/credentials",
                  {"learner_id": learners[i % len(learners)],
                   "microcredential_id": world.programme_id, "awarded_on": "2025-03-01"})
             for i in range(requests)]
    responses = post_together(api.base_url, posts)

    assert [r.status_code for r in responses] == [201] * requests, [
        r.text for r in responses if r.status_code != 201]
    bodies = [r.json() for r in responses]
    assert len({b["id"] for b in bodies}) == requests
    assert count_events(api.ledger, "CredentialIssued") == issued_before + requests
    after = metric_samples(api.http.get("/metrics").text, "ledger_append_batch_commands")
    commits = after["ledger_append_batch_commands_count"] - before.get(
        "ledger_append_batch_commands_count", 0)
    saved = after["ledger_append_batch_commands_sum"] - before.get(
        "ledger_append_batch_commands_sum", 0)
    assert saved == requests
    assert 0 < commits < requests, (commits, requests)

    top = max(b["position"] for b in bodies)
    for learner_id in learners[:5]:
        reader = Caller(api.http, api.token("learner", learner_id))
        transcript = reader.get(f"/v1/learners/{learner_id}/transcript", min_position=top)
        assert transcript.status_code == 200, transcript.text
        assert len(transcript.json()["credentials"]) == requests // len(learners)


# -- a second writer on the same PostgreSQL database ------------------------------------------

@pytest.fixture
def other_ledger(pg_settings, pg_ledger) -> Iterator[Ledger]:
    """Another Ledger over the same database: its own committer and aggregate cache, as a
    second API process would have."""
    built = bootstrap(pg_settings, run_projections=False)
    yield built
    built.close()


@pytest.fixture
def other_api(other_ledger: Ledger) -> Iterator[str]:
    # A second process behind the same public URL: its own port.
    with ServedLedger(other_ledger, port=free_port()) as base_url:
        yield base_url


def _caller(base_url: str, token: str, clients: list[httpx.Client]) -> Caller:
    client = httpx.Client(base_url=base_url, timeout=60)
    clients.append(client)
    return Caller(client, token)


@pytest.fixture
def two_callers(pg_api: Api, other_api: str) -> Iterator[tuple[World, Caller, Caller]]:
    """The usual world, and its provider speaking to ledger A (pg_api) and to ledger B."""
    world = build_world(pg_api)
    token = pg_api.token("provider", world.provider_id)
    clients: list[httpx.Client] = []
    yield world, _caller(pg_api.base_url, token, clients), _caller(other_api, token, clients)
    for client in clients:
        client.close()


def test_two_ledgers_alternating_on_one_learner_see_each_others_writes(two_callers, pg_ledger,
                                                                      other_ledger):
    world, a, b = two_callers
    body = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01"}
    ids = []
    for n in range(10):
        response = (a if n % 2 == 0 else b).post("/v1/credentials", body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    x = ids[0]
    steps = [(a, "suspend", 200, "suspended"), (b, "reinstate", 200, "active"),
             (a, "suspend", 200, "suspended"), (b, "revoke", 200, "revoked"),
             (a, "reinstate", 409, None), (b, "revoke", 409, None), (a, "revoke", 409, None)]
    for caller, action, status, outcome in steps:
        response = caller.post(f"/v1/credentials/{x}/{action}", {"reason": action})
        if status == 409:
            problem(response, 409)
        else:
            assert response.status_code == 200, (action, response.text)
            assert response.json()["status"] == outcome
    for caller in (a, b):  # each ledger still writes to the learner the other changed
        assert caller.post("/v1/credentials", body).status_code == 201

    for ledger in (pg_ledger, other_ledger):
        record = ledger.app.repository.get(uuid.UUID(world.learner_id))
        assert len(record.credentials) == 12
        assert record.credentials[x].status == "revoked"
    assert count_events(pg_ledger, "CredentialRevoked") == 1
    assert count_events(pg_ledger, "CredentialSuspended") == 2


def test_a_revocation_already_made_through_another_ledger_is_refused(two_callers, pg_ledger):
    world, a, b = two_callers
    body = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-03-01"}
    issued = b.post("/v1/credentials", body)  # ledger B now holds the learner in its cache
    assert issued.status_code == 201, issued.text
    x = issued.json()["id"]

    first = a.post(f"/v1/credentials/{x}/revoke", {"reason": "through A"})
    assert first.status_code == 200, first.text
    second = b.post(f"/v1/credentials/{x}/revoke", {"reason": "through B"})
    problem(second, 409)
    assert count_events(pg_ledger, "CredentialRevoked") == 1


def test_a_batch_that_conflicts_with_another_writer_fails_only_the_stale_command(
        pg_ledger, other_ledger):
    world = _seed(pg_ledger)
    actor = world["provider"]
    learner = world["learner_id"]
    other_learner = pg_ledger.execute_sync(
        commands.enrol_learner(actor, inputs.PersonalDetails(
            given_name="გიორგი", family_name="ბერიძე", birth_date="2001-01-01"))).body["id"]
    x = world["credentials"][0]
    revoked = count_events(pg_ledger, "CredentialRevoked")
    # Ledger B loads the learner into its cache by writing to it.
    other_ledger.execute_sync(commands.issue_credential(actor, world["item"]))

    outer, inner = Gate(), Gate()
    outer.hold(other_ledger)
    queued = [other_ledger.submit(inner.run)]
    revoke = other_ledger.submit(commands.change_status(actor, x,
                                                        "revoke", "through B"))
    same_learner = other_ledger.submit(commands.issue_credential(actor, world["item"]))
    other = other_ledger.submit(commands.issue_credential(
        actor, replace(world["item"], learner_id=other_learner)))
    outer.release.set()
    # B's next batch (inner gate, revoke, two issues) has started; A writes meanwhile.
    assert inner.entered.wait(WAIT)
    pg_ledger.execute_sync(commands.change_status(actor, x, "revoke",
                                                  "through A"))
    inner.release.set()

    assert queued[0].result(WAIT).status == 200
    assert isinstance(_error(revoke), RuleViolation | Conflict), _error(revoke)
    assert same_learner.result(WAIT).created
    assert other.result(WAIT).created
    record = pg_ledger.app.repository.get(uuid.UUID(learner))
    assert record.credentials[x].status == "revoked"
    assert same_learner.result().body["id"] in record.credentials
    other_record = pg_ledger.app.repository.get(uuid.UUID(other_learner))
    assert list(other_record.credentials) == [other.result().body["id"]]
    assert count_events(pg_ledger, "CredentialRevoked") == revoked + 1


def test_a_write_that_keeps_losing_to_another_writer_is_a_409_conflict(pg_ledger,
                                                                       other_ledger):
    world = _seed(pg_ledger)
    actor = world["provider"]
    learner = uuid.UUID(world["learner_id"])
    y = world["credentials"][1]
    issued_before = count_events(pg_ledger, "CredentialIssued")
    suspended_before = count_events(pg_ledger, "CredentialSuspended")
    attempts: list[Gate] = [Gate(), Gate()]
    suspend = commands.change_status(actor, y, "suspend", "slow")
    calls = []

    def slow_suspend(uow: UnitOfWork) -> Outcome:
        uow.get(LearnerRecord, learner)  # decide on the state as read now...
        if len(calls) < len(attempts):
            gate = attempts[len(calls)]
            calls.append(gate)
            gate.entered.set()
            assert gate.release.wait(WAIT)  # ...while another writer changes the learner
        return suspend(uow)

    future = other_ledger.submit(slow_suspend)
    for gate in attempts:
        assert gate.entered.wait(WAIT), "the command was not retried after the conflict"
        pg_ledger.execute_sync(commands.issue_credential(actor, world["item"]))
        gate.release.set()

    error = _error(future)
    assert isinstance(error, Conflict), repr(error)
    record = pg_ledger.app.repository.get(learner)
    assert record.credentials[y].status == "active"
    assert count_events(pg_ledger, "CredentialSuspended") == suspended_before
    assert count_events(pg_ledger, "CredentialIssued") == issued_before + len(attempts)


def test_concurrent_writes_through_two_apis_never_fail_with_500(two_callers, pg_ledger):
    world, a, b = two_callers
    learners = [world.learner_id, world.new_learner()]
    issued_before = count_events(pg_ledger, "CredentialIssued")
    clients = [httpx.Client(base_url=caller.http.base_url, timeout=60)
               for _ in range(20) for caller in (a, b)]
    for client in clients:
        client.get("/healthz").raise_for_status()

    def issue(n: int, client: httpx.Client):
        body = {"learner_id": learners[n % 2], "microcredential_id": world.programme_id,
                "awarded_on": "2025-03-01"}
        return lambda: Caller(client, a.token).post("/v1/credentials", body)

    try:
        responses = in_parallel([issue(n, c) for n, c in enumerate(clients)])
    finally:
        for client in clients:
            client.close()

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code != 201]
    for response in responses:
        if response.status_code == 409:
            assert problem(response, 409)["title"] == "Conflict"
    created = [r.json()["id"] for r in responses if r.status_code == 201]
    assert len(created) >= len(responses) // 2, statuses
    assert count_events(pg_ledger, "CredentialIssued") == issued_before + len(created)
    held: set[str] = set()
    for learner_id in learners:
        held |= set(pg_ledger.app.repository.get(uuid.UUID(learner_id)).credentials)
    assert set(created) <= held


def test_one_idempotency_key_sent_to_two_ledgers_at_once_appends_one_event(pg_ledger,
                                                                          other_ledger):
    world = _seed(pg_ledger)
    actor = world["provider"]
    issued_before = count_events(pg_ledger, "CredentialIssued")
    key = pg_ledger.idempotency(actor, f"k-{uuid.uuid4()}", "POST", "/v1/credentials",
                                inputs.fields(world["item"]))

    outer, inner = Gate(), Gate()
    outer.hold(other_ledger)
    other_ledger.submit(inner.run)
    through_b = other_ledger.submit(commands.issue_credential(actor, world["item"]), key)
    outer.release.set()
    assert inner.entered.wait(WAIT)  # B has looked the key up and found nothing
    through_a = pg_ledger.submit(commands.issue_credential(actor, world["item"]), key)
    first = through_a.result(WAIT)
    inner.release.set()

    second = through_b.result(WAIT)
    assert (second.status, second.body) == (first.status, first.body)
    assert count_events(pg_ledger, "CredentialIssued") == issued_before + 1


# -- seeding through the use cases --------------------------------------------------------------

def _seed(ledger: Ledger) -> dict[str, Any]:
    seeded = seed_ledger(ledger)
    # The seed revokes its second credential; issue two fresh active ones to race over.
    item = inputs.IssueCredential(learner_id=seeded.learner_id,
                                  microcredential_id=seeded.programme_id, awarded_on="2025-03-01")
    fresh = [ledger.execute_sync(commands.issue_credential(seeded.provider, item)).body["id"]
             for _ in range(2)]
    return {"provider": seeded.provider, "learner_id": seeded.learner_id,
            "programme_id": seeded.programme_id, "credentials": fresh, "item": item}
