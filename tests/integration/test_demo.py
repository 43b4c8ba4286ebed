"""The demo seeder: a realistic register, Georgian names intact in the vault, no second seeding."""

import base64
import os
import random
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger import cli, commands, inputs
from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.demo import LEARNERS, RANDOM_SEED, StoreNotEmpty, is_georgian_script, make_people
from ledger.demo import seed as seed_demo
from ledger.domain.actors import Actor


def seed_and_catch_up(ledger: Ledger) -> dict:
    started = time.perf_counter()
    summary = seed_demo(ledger)
    ledger.wait_for(summary["position"])
    print(f"demo seed: {time.perf_counter() - started:.2f} s, {summary['position']} events")
    return summary


def check_register(ledger: Ledger) -> None:
    today = datetime.now(UTC).date().isoformat()
    providers = ledger.register("provider", None, None, None, today)
    assert len(providers) >= 3
    assert {"higher_education", "vocational"} <= {p["kind"] for p in providers}
    programmes = ledger.register("microcredential", None, None, None, today)
    assert len(programmes) == 8
    for programme in programmes:
        assert 2 <= len(programme["learning_outcomes"]) <= 4
        assert re.fullmatch(r"\d{4}", programme["isced_f"])
        assert 4 <= programme["eqf_level"] <= 7
        assert programme["participation_form"] in ("online", "onsite", "blended")
        assert programme["review_due"] > today
    statuses = Counter(d["status"] for d in ledger.read_models.all("register")
                       if d["kind_of_entry"] == "microcredential")
    assert statuses == {"approved": 8, "rejected": 1}


def check_credentials(ledger: Ledger, summary: dict) -> None:
    today = datetime.now(UTC).date().isoformat()
    statuses = ledger.read_models.all("status")
    credentials = [d for d in statuses if d["kind"] == "credential"]
    stacks = [d for d in statuses if d["kind"] == "stack"]
    assert 1400 <= len(credentials) <= 1600
    assert all(d["awarded_on"] <= today for d in statuses)
    assert any(d["status"] == "revoked" for d in credentials)
    assert any(d["status"] in ("under_review", "revoked") for d in stacks)
    assert summary["counts"]["credentials"] == len(credentials)
    assert summary["counts"]["stacks"] == len(stacks)
    for kind, found in (("credentials", credentials), ("stacks", stacks)):
        assert dict(Counter(d["status"] for d in found)) == summary["counts"][f"{kind}_by_status"]


def check_transcripts(ledger: Ledger) -> None:
    learners = {d["learner_id"] for d in ledger.read_models.all("transcripts")
                if "enrolled_at" in d}
    transcripts = [ledger.transcript_document(learner_id) for learner_id in learners]
    assert len(transcripts) == LEARNERS
    credentials = [c for t in transcripts for c in t["credentials"].values()]
    events = [[h["event"] for h in c["history"]] for c in credentials]
    assert ["CredentialIssued", "CredentialSuspended", "CredentialReinstated"] in events
    cascaded = [c for c in credentials if c["kind"] == "stack"
                and "StackPutUnderReview" in [h["event"] for h in c["history"]]]
    assert cascaded
    for stack in cascaded:
        cause = next(h["cause"] for h in stack["history"] if h["event"] == "StackPutUnderReview")
        assert cause in stack["components"]
    assert sum(len(t["recognitions"]) for t in transcripts) >= 20


def check_vault(ledger: Ledger) -> None:
    """Every learner's personal data, Georgian script included, comes back byte for byte."""
    people = make_people(random.Random(RANDOM_SEED), LEARNERS)
    georgian = [p for p in people if is_georgian_script(p["given_name"] + p["family_name"])]
    assert len(georgian) >= LEARNERS // 2
    assert len({p["national_id"] for p in people}) == LEARNERS
    assert all(re.fullmatch(r"\d{11}", p["national_id"]) for p in people)
    for person in people:
        learner_id = ledger.vault.find_by_national_id(person["national_id"])
        stored = ledger.vault.read(learner_id)
        assert stored == person
        for field in ("given_name", "family_name"):
            assert stored[field].encode("utf-8") == person[field].encode("utf-8")


def test_demo_seeds_a_realistic_register_once(ledger: Ledger) -> None:
    summary = seed_and_catch_up(ledger)
    check_register(ledger)
    check_credentials(ledger, summary)
    check_transcripts(ledger)
    check_vault(ledger)
    assert set(summary["tokens"]) >= {"qa_body", "admin", "auditor", "tsu", "kutaisi", "bog",
                                      "enic", "learner"}
    learner = ledger.principals.authenticate(summary["tokens"]["learner"])
    assert learner is not None and learner.scope == summary["ids"]["sample_learner"]
    transcript = ledger.transcript(learner, learner.scope)
    assert is_georgian_script(transcript["learner"]["given_name"])

    with pytest.raises(StoreNotEmpty, match="already holds"):
        seed_demo(ledger)
    assert (ledger.app.recorder.max_notification_id() or 0) == summary["position"]


def test_demo_refuses_any_store_with_events(ledger: Ledger) -> None:
    qa = Actor("qa", "qa_body")
    ledger.execute_sync(commands.register_provider(qa, inputs.RegisterProvider(**{
        "name": "Ilia State University", "country": "GE", "kind": "higher_education",
        "legal_identifier": None})))
    with pytest.raises(StoreNotEmpty):
        seed_demo(ledger)
    assert ledger.app.recorder.max_notification_id() == 1


def test_demo_command_exits_non_zero_on_a_used_store(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGER_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    used = bootstrap(Settings(data_dir=tmp_path), run_projections=False)
    try:
        used.execute_sync(commands.register_provider(
            Actor("qa", "qa_body"),
            inputs.RegisterProvider("Batumi State Maritime Academy", "GE", "higher_education")))
    finally:
        used.close()
    result = CliRunner().invoke(cli.app, ["demo", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "already holds" in result.output + str(result.exception)
