"""A store written by the last release before the event catalogue (module-path topics such as
`ledger.domain.learner:LearnerRecord.CredentialIssued`, unversioned payloads) loads with this
code: every stored topic resolves through the catalogue's alias table, every stored payload
fits its event type's schema, a replay gives the very read models that release built, the hash
chain is intact with the same head, the aggregates load, and new events (under the new topics)
join the same history. The store is made by running that release's own code, from git."""

import base64
import json
import os
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from jsonschema import Draft202012Validator

from ledger import commands, event_schemas, inputs
from ledger.audit.replay import diff
from ledger.bootstrap import bootstrap, projections
from ledger.domain import catalogue
from ledger.domain.actors import Actor
from ledger.projections.envelope import from_row
from ledger.projections.replay import Replayer
from tests.releases import release_code, release_environment, run_release, store_settings

# The last commit of main whose events are stored under module-path topics.
MODULE_PATH_RELEASE = "8e56d95"

DUMP = """
import json, sys
from ledger.audit.replay import live_snapshot
from ledger.bootstrap import bootstrap, projections
from ledger.domain.actors import Actor
ledger = bootstrap(run_projections=False)
_, live = live_snapshot(ledger.database, projections())
auditor = Actor("upgrade-test", "auditor")
ids = sorted(d["learner_id"] for d in ledger.read_models.all("transcripts") if "learner_id" in d)
doc = lambda stored: json.loads(stored) if isinstance(stored, (str, bytes)) else stored
json.dump({
    "read_models": {name: {key: doc(row[2]) for key, row in rows.items()}
                    for name, rows in live.items()},
    "transcripts": {i: ledger.transcript(auditor, i) for i in ids},
    "chain": ledger.audit.verify().as_json(),
}, sys.stdout, default=str)
ledger.close()
"""


@pytest.fixture(scope="module")
def module_path_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_code(MODULE_PATH_RELEASE, tmp_path_factory.mktemp("module-path-release"))


def _json(value: object) -> object:
    """As JSON gives it (the previous release's dump went through JSON)."""
    return json.loads(orjson.dumps(value))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_store_with_module_path_topics_replays_to_the_same_read_models(
        kind: str, module_path_release: Path, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    old = store_settings(kind, tmp_path / "old", request, key, "catalogue")
    env = release_environment(old)
    run_release(module_path_release, env, "-c", "from ledger.cli import main; main()", "demo",
                  "--data-dir", str(old.data_dir))
    before = json.loads(run_release(module_path_release, env, "-c", DUMP))
    assert before["chain"]["ok"] and len(before["transcripts"]) > 10

    ledger = bootstrap(old, run_projections=False)
    try:
        rows = [row for batch in ledger.events.rows() for row in batch]
        stored_topics = {row[3] for row in rows}
        # The history is the old release's: module paths only, each one in the alias table.
        assert all(":" in topic for topic in stored_topics), stored_topics
        assert stored_topics <= set(catalogue.MODULE_TOPICS), stored_topics

        # Every stored payload fits its event type's published schema; the public type is the
        # one the old release published (the part of the module path after the colon).
        validators = {e.type: Draft202012Validator(event_schemas.schema(e))
                      for e in catalogue.EVENTS}
        for row in rows:
            envelope = from_row(ledger.app.mapper.transcoder, *row)
            assert envelope.type == row[3].rsplit(":", 1)[-1]
            errors = [e.message for e in validators[envelope.type].iter_errors(envelope.data)]
            assert errors == [], (envelope.type, envelope.position, errors)

        # The library's own path: every aggregate loads from its old-topic events.
        for stream in {row[1] for row in rows}:
            aggregate = ledger.app.repository.get(UUID(stream))
            assert type(aggregate) in catalogue.AGGREGATES.values()

        # A replay with this code gives exactly the read models the old release built.
        replayer = Replayer(ledger.events, ledger.app.mapper.transcoder, projections())
        replayer.advance()
        for name, documents in before["read_models"].items():
            assert _json(replayer.docs(name)) == documents, name
        report = ledger.audit.verify()
        assert report.ok, report.as_json()
        assert report.as_json()["head"] == before["chain"]["head"]
        assert diff(ledger).differences == []
        auditor = Actor("upgrade-test", "auditor")
        assert _json({i: ledger.transcript(auditor, i) for i in before["transcripts"]}) \
            == before["transcripts"]
    finally:
        ledger.close()

    # New events go under the catalogue's topics, beside the old ones, in the same chain.
    ledger = bootstrap(old)
    try:
        written = ledger.execute_sync(commands.register_provider(
            Actor("qa", "qa_body"),
            inputs.RegisterProvider("Batumi State Maritime Academy", "GE", "higher_education")))
        assert written.created
        ledger.wait_for(ledger.events.head())
        newest = [row for batch in ledger.events.rows(after=ledger.events.head() - 1)
                  for row in batch]
        assert [row[3] for row in newest] == ["ledger.Registered"]
        assert from_row(ledger.app.mapper.transcoder, *newest[0]).type == "Provider.Registered"
        assert ledger.audit.verify().ok
        assert diff(ledger).differences == []
    finally:
        ledger.close()
