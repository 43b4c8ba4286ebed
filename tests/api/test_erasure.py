"""Erasure (POST /v1/learners/{id}/erase): the learner's vault key is destroyed and RecordErased
recorded; afterwards no raw table (nor, on SQLite, any byte of the store's files), response or
log line holds their personal data, while the events are untouched and anonymous statistics
replay unchanged. SQLite and PostgreSQL."""

import io
import logging

import pytest
from pypdf import PdfReader

from ledger.config import Settings
from tests.erasure import Person, credentials_per_programme, file_traces, traces
from tests.helpers import Api, build_world, created, problem

FORMATS = ("ob3", "clr", "edc", "elmo", "pdf")


def exports(caller, learner_id: str, position: int) -> dict[str, bytes]:
    """Every export format of the learner's record (the PDF's text, extracted)."""
    found = {}
    for kind in FORMATS:
        response = caller.get(f"/v1/learners/{learner_id}/exports/{kind}",
                              min_position=position)
        assert response.status_code == 200, response.text
        content = response.content
        if kind == "pdf":
            content = "".join(page.extract_text() for page in
                              PdfReader(io.BytesIO(content)).pages).encode()
        found[kind] = content
    return found


def event_rows(ledger, upto: int) -> list[tuple]:
    return [row for rows in ledger.events.rows(upto=upto) for row in rows]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_erasure_leaves_no_personal_data_and_changes_no_event_or_statistic(
        api: Api, settings: Settings, logs: pytest.LogCaptureFixture):
    ledger, world = api.ledger, build_world(api)
    person = Person.unique()
    # The client put the national id in its Idempotency-Key: that, too, must go.
    learner = created(world.provider.post("/v1/learners", person.body(),
                                          key=f"enrol-{person.national_id}"))["id"]
    ledger.principals.create("learner", learner, f"{person.given_name} {person.family_name}")
    learner_token = api.token("learner", learner)
    issued = [world.issue(learner_id=learner, grade="A") for _ in range(2)]
    world.issue()  # another learner's credential in the same programme
    created(world.provider.post(f"/v1/credentials/{issued[0]['id']}/revoke",
                                {"reason": "issued in error"}), 200)
    before_erasure = ledger.events.head()
    events_before = event_rows(ledger, before_erasure)
    statistics = credentials_per_programme(ledger)
    vault_row = ledger.database.query_one(
        "SELECT wrapped_key, ciphertext FROM learner_vault WHERE learner_id = ?", (learner,))
    secrets = [bytes(vault_row["wrapped_key"]), bytes(vault_row["ciphertext"])]
    needles = person.needles() + secrets
    # The scan finds what is there: the vault entry, the principal's label, the request.
    assert {"learner_vault.wrapped_key", "learner_vault.ciphertext", "principals.name",
            "idempotency_keys.key"} <= set(traces(ledger.database, needles))
    assert ledger.vault.read(learner)["family_name"] == person.family_name
    auditor = api.as_("auditor")
    before = exports(auditor, learner, before_erasure)
    assert all(person.family_name.encode() in content for content in before.values()), \
        [kind for kind, content in before.items() if person.family_name.encode() not in content]

    admin = api.as_("admin")
    erased = created(admin.post(f"/v1/learners/{learner}/erase",
                                {"reason": "data_subject_request"}, key="erase-1"), 200)
    assert erased == {"learner_id": learner, "status": "erased", "position": erased["position"]}
    assert erased["position"] > before_erasure
    retried = admin.post(f"/v1/learners/{learner}/erase", {"reason": "data_subject_request"},
                         key="erase-1")
    assert (retried.status_code, retried.json()) == (200, erased)  # idempotent

    assert traces(ledger.database, needles) == []
    if not settings.uses_postgres:
        assert file_traces(settings.data_dir, needles) == []
    assert ledger.vault.read(learner) is None
    assert event_rows(ledger, before_erasure) == events_before  # the history is untouched
    checkpoint = ledger.audit.checkpoint()  # a signed head taken after the erasure
    verified = api.as_("auditor").get("/v1/audit/verify").json()
    assert verified["ok"] is True and verified["events_checked"] == ledger.events.head()
    assert checkpoint is not None
    assert credentials_per_programme(ledger) == statistics
    assert credentials_per_programme(ledger, before_erasure) == statistics
    ledger.wait_for(erased["position"])
    live = ledger.read_models.all("status")
    assert sum(1 for doc in live if doc["learner_id"] == learner) == 2

    after = exports(auditor, learner, erased["position"])
    assert {kind: [n for n in needles if n in content] for kind, content in after.items()} \
        == {kind: [] for kind in FORMATS}
    transcript = auditor.get(f"/v1/learners/{learner}/transcript",
                             min_position=erased["position"])
    assert transcript.status_code == 200
    body = transcript.json()
    assert body["erased"] is True and "learner" not in body
    assert {c["id"] for c in body["credentials"]} == {c["id"] for c in issued}
    assert not any(needle in transcript.content for needle in needles)
    assert api.anonymous().get(f"/v1/verify/{issued[1]['id']}").json()["status"] == "active"
    # The learner's own token went with their principal.
    denied = api.http.get(f"/v1/learners/{learner}/transcript",
                          headers={"Authorization": f"Bearer {learner_token}"})
    assert denied.status_code == 401

    # Nothing new is recorded in an erased record; the same person enrols anew.
    problem(world.provider.post("/v1/credentials", {
        "learner_id": learner, "microcredential_id": world.programme_id,
        "awarded_on": "2025-03-01"}), 409)
    again = world.provider.post("/v1/learners", person.body(),
                                key=f"enrol-{person.national_id}")
    assert again.status_code == 201 and again.json()["id"] != learner

    logged = "\n".join(record.getMessage() + (record.exc_text or "")
                       for record in logs.records).encode()
    assert logged and not any(needle in logged for needle in person.needles())


def test_erasing_twice_is_a_conflict_unknown_is_404_and_only_an_admin_may(api: Api):
    world = build_world(api)
    admin = api.as_("admin")
    problem(world.provider.post(f"/v1/learners/{world.learner_id}/erase", {}), 403)
    problem(api.as_("auditor").post(f"/v1/learners/{world.learner_id}/erase", {}), 403)
    problem(api.anonymous().post(f"/v1/learners/{world.learner_id}/erase", {}), 401)
    problem(admin.post(f"/v1/learners/{world.programme_id}/erase", {}), 404)
    problem(admin.post("/v1/learners/not-a-uuid/erase", {}), 404)
    problem(admin.post(f"/v1/learners/{world.learner_id}/erase", {"reason": "I said so"}), 422)
    done = api.http.post(f"/v1/learners/{world.learner_id}/erase",
                         headers={"Authorization": f"Bearer {api.token('admin')}"})
    assert done.status_code == 200 and done.json()["status"] == "erased"  # no body needed
    problem(admin.post(f"/v1/learners/{world.learner_id}/erase", {}), 409)
    problem(admin.post(f"/v1/learners/{world.learner_id}/erase", {}, key="new-key"), 409)


@pytest.mark.slow  # seconds of load or waiting: not in the fast tier
def test_the_erase_command_erases_as_the_api_does(api: Api, settings: Settings):
    from tests.integration.test_replay import ledger_cli

    world = build_world(api)
    done = ledger_cli(settings, "learners", "erase", world.learner_id, "--reason",
                      "consent_withdrawn")
    assert done.returncode == 0, done.stderr.decode()
    assert b'"status":"erased"' in done.stdout
    assert api.ledger.vault.read(world.learner_id) is None
    again = ledger_cli(settings, "learners", "erase", world.learner_id)
    assert again.returncode == 4 and b"already erased" in again.stderr
    unknown = ledger_cli(settings, "learners", "erase", world.programme_id)
    assert unknown.returncode == 3
