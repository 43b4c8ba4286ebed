"""Random but reproducible histories written through the use cases (every kind of event), with
a snapshot of every live read model taken after each command, for replay tests."""

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger import commands, inputs
from ledger.application import Ledger
from ledger.domain.actors import Actor
from ledger.domain.errors import LedgerError
from tests.helpers import PROGRAMME

Snapshot = dict[str, dict[str, Any]]  # projection -> key -> document


def read_models_now(ledger: Ledger) -> Snapshot:
    """Every row of every read model, as stored."""
    snapshot = {}
    for name, projection in ledger.read_models.projections.items():
        rows = ledger.database.query(f"SELECT key, doc FROM {projection.table}")
        snapshot[name] = {row["key"]: orjson.loads(row["doc"]) for row in rows}
    return snapshot


@dataclass
class History:
    ledger: Ledger
    rng: random.Random
    snapshots: dict[int, Snapshot] = field(default_factory=dict)  # position -> read models
    positions: list[int] = field(default_factory=list)  # in the order written
    learners: list[str] = field(default_factory=list)
    credentials: list[tuple[str, Actor]] = field(default_factory=list)  # id, its issuer
    erased: list[str] = field(default_factory=list)

    def live_learners(self) -> list[str]:
        return [learner for learner in self.learners if learner not in self.erased]

    def run(self, run: commands.Run) -> dict[str, Any] | None:
        """Execute one command; after it, snapshot the read models once they have it."""
        try:
            body = self.ledger.execute_sync(run).body
        except LedgerError:
            return None  # a rule said no: realistic, and nothing was written
        position = body.get("position", 0)
        if position and position not in self.snapshots:
            self.ledger.wait_for(position)
            self.snapshots[position] = read_models_now(self.ledger)
            self.positions.append(position)
        return body


def write_history(ledger: Ledger, steps: int = 300, seed: int = 5) -> History:
    history = History(ledger, random.Random(seed))
    rng, run = history.rng, history.run
    qa = Actor("qa-1", "qa_body")
    admin = Actor("admin-1", "admin")
    providers, programmes = [], {}
    for n in range(2):
        provider_id = run(commands.register_provider(qa, inputs.RegisterProvider(**{
            "name": f"Provider {n}", "country": "GE", "kind": "higher_education",
            "legal_identifier": None})))["id"]
        run(commands.accredit_provider(qa, provider_id, inputs.Accreditation(**{
            "valid_from": "2020-01-01", "valid_until": "2030-12-31", "scope": None,
            "decision_reference": f"D-{n}"})))
        actor = Actor(f"provider-{n}", "provider", provider_id)
        providers.append(actor)
        programmes[provider_id] = []
        for m in range(2):
            programme = run(commands.submit_programme(
                actor, provider_id, {**PROGRAMME, "title": f"Programme {n}.{m}"}))["id"]
            run(commands.decide_programme(qa, programme, inputs.ProgrammeDecision("approve", **{
                "approved_on": "2024-01-15", "review_due": "2026-12-31"})))
            programmes[provider_id].append(programme)
    first = providers[0]
    pathway = run(commands.define_pathway(first, inputs.DefinePathway(**{
        "provider_id": first.scope, "title": "Certificate", "components":
        programmes[first.scope], "min_ects": None, "min_components": 2})))["id"]
    body_id = run(commands.register_provider(qa, inputs.RegisterProvider(**{
        "name": "Recognition Board", "country": "GE", "kind": "recognition_body",
        "legal_identifier": None})))["id"]
    recogniser = Actor("recogniser-1", "recognition_body", body_id)

    def enrol() -> None:
        learner = run(commands.enrol_learner(first, inputs.PersonalDetails(**{
            "given_name": "Nino", "family_name": f"L{len(history.learners)}",
            "birth_date": "2000-01-01", "national_id": uuid.uuid4().hex[:11]})))
        if learner:
            history.learners.append(learner["id"])

    def issue() -> None:
        actor = rng.choice(providers)
        body = run(commands.issue_credential(actor, inputs.IssueCredential(**{
            "learner_id": rng.choice(history.live_learners()),
            "microcredential_id": rng.choice(programmes[actor.scope]),
            "awarded_on": f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "grade": rng.choice("ABC"), "assessment": None})))
        if body:
            history.credentials.append((body["id"], actor))

    def lifecycle() -> None:
        credential_id, actor = rng.choice(history.credentials)
        status = ledger.read_models.get("status", credential_id)["status"]
        allowed = {"active": ["suspend", "revoke", "correct", "correct"],
                   "suspended": ["reinstate", "reinstate", "revoke"],
                   "under_review": ["reinstate", "revoke"]}.get(status)
        if not allowed:
            return
        action = rng.choice(allowed)
        if action == "correct":
            run(commands.correct_credential(actor, credential_id, inputs.Correction(
                "regraded", grade=rng.choice("ABCD"))))
        else:
            run(commands.change_status(actor, credential_id, action, action))

    def stack() -> None:
        learner = rng.choice(history.live_learners())
        record = ledger.transcript_document(learner) or {"credentials": {}}
        by_programme = {c["programme_id"]: c["id"] for c in record["credentials"].values()
                        if c["provider_id"] == first.scope and c["status"] == "active"
                        and c["kind"] == "credential"}
        mine = list(by_programme.values())
        if len(mine) >= 2:
            body = run(commands.stack_credentials(first, inputs.StackCredentials(**{
                "learner_id": learner, "pathway_id": pathway, "component_ids": mine[:2],
                "awarded_on": "2025-10-01"})))
            if body:
                history.credentials.append((body["id"], first))

    def recognise() -> None:
        credential_id, _ = rng.choice(history.credentials)
        run(commands.record_recognition(recogniser, inputs.RecordRecognition(**{
            "credential_id": credential_id, "decision": "recognised", "toward": "BSc",
            "ects_recognised": None, "decided_on": "2025-11-01", "reference": None})))

    def erase() -> None:
        if len(history.erased) < 3:
            learner = rng.choice(history.live_learners())
            if run(commands.erase_learner(admin, learner,
                                          "data_subject_request")):
                history.erased.append(learner)

    for _ in range(4):
        enrol()
    moves = [enrol, issue, lifecycle, stack, recognise, erase]
    weights = [2, 14, 7, 4, 2, 1]
    for _ in range(steps):
        move = rng.choices(moves, weights)[0]
        if move is enrol or history.credentials or move is issue:
            move()
    run(commands.withdraw_accreditation(qa, providers[1].scope, "review failed",
                                        "2026-01-01"))
    return history
