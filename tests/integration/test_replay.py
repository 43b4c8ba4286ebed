"""`audit replay` rebuilds every read model as it was recorded at a position or a date: for
random positions and dates of a random history (every kind of event), the replay equals the
snapshot of the live read models taken while the history was written. SQLite and PostgreSQL."""

import os
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from ledger.audit.replay import learner_transcript
from ledger.config import Settings
from ledger.domain.actors import Actor
from ledger.projections.envelope import from_row
from ledger.projections.replay import Replayer
from ledger.projections.transcripts import assemble, present
from tests.histories import History, Snapshot, write_history

LEDGER = str(Path(sys.executable).parent / "ledger")


def replay(ledger, upto=None, as_of=None, stream=None) -> Replayer:
    projections = list(ledger.read_models.projections.values())
    return Replayer(ledger.events, ledger.app.mapper.transcoder, projections, stream=stream,
                    as_of=as_of).advance(upto)


def as_stored(replayer: Replayer) -> Snapshot:
    """The replayed documents as the read models store them (through JSON)."""
    return {name: orjson.loads(orjson.dumps(replayer.docs(name)))
            for name in replayer.documents}


def times_between(history: History) -> list[tuple[datetime, datetime, int]]:
    """For each recorded state: [last event's time, next command's first event's time)."""
    ledger, transcoder = history.ledger, history.ledger.app.mapper.transcoder
    times = {}
    for rows in ledger.events.rows():
        for row in rows:
            times[row[0]] = datetime.fromisoformat(from_row(transcoder, *row).time)
    windows, ordered = [], sorted(times)
    for before, after in zip(history.positions, history.positions[1:], strict=False):
        following = [times[p] for p in ordered if before < p <= after]
        if following and times[before] < min(following):
            windows.append((times[before], min(following), before))
    return windows


@pytest.fixture
def history(ledger) -> History:
    return write_history(ledger)


def test_replay_at_random_positions_equals_the_read_models_recorded_there(history):
    assert len(history.positions) > 100
    for position in random.Random(1).sample(history.positions, 15):
        assert as_stored(replay(history.ledger, upto=position)) == history.snapshots[position]


def test_replay_as_of_random_dates_equals_the_read_models_recorded_then(history):
    rng = random.Random(2)
    windows = times_between(history)
    assert len(windows) > 50
    for start, end, position in rng.sample(windows, 12):
        moment = start + (end - start) * rng.random()
        assert as_stored(replay(history.ledger, as_of=moment)) == history.snapshots[position]


def test_a_learners_replay_as_of_a_date_is_their_transcript_as_recorded(history):
    ledger, rng = history.ledger, random.Random(3)
    checked = 0
    for start, end, position in rng.sample(times_between(history), 12):
        snapshot = history.snapshots[position]
        learner = rng.choice(history.learners)
        rows = [doc for doc in snapshot["transcripts"].values()
                if doc.get("learner_id") == learner or doc.get("id") in
                _credentials_of(snapshot, learner)]
        expected = assemble(rows)
        moment = start + (end - start) / 2
        got = learner_transcript(replay(ledger, as_of=moment, stream=learner), learner)
        if expected is None:
            assert got is None
            continue
        got.pop("position")
        assert orjson.loads(orjson.dumps(got)) == present(expected)
        checked += 1
    assert checked > 5


def _credentials_of(snapshot: Snapshot, learner_id: str) -> set[str]:
    return {key for key, doc in snapshot["status"].items() if doc["learner_id"] == learner_id}


def cli_env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "LEDGER_MASTER_KEY": settings.master_key,
           "LEDGER_DATA_DIR": str(settings.data_dir), "PYTHONPATH": os.getcwd(),
           "LEDGER_STANDARDS_DIR": str(settings.standards_path)}
    env.pop("DATABASE_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


def ledger_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LEDGER, *args], env=cli_env(settings), capture_output=True,
                          timeout=120)


def test_the_replay_command_writes_the_read_models_at_a_position_and_a_learners_transcript(
        history, settings: Settings, tmp_path: Path):
    position = history.positions[len(history.positions) // 2]
    out = tmp_path / "replay.json"
    done = ledger_cli(settings, "audit", "replay", "--position", str(position), "-o", str(out))
    assert done.returncode == 0, done.stderr.decode()
    document = orjson.loads(out.read_bytes())
    assert document["position"] == position
    assert document["projections"] == history.snapshots[position]
    assert document["chain_head"] == history.ledger.audit.link_at(position)

    start, end, at = times_between(history)[-5]
    learner = next(doc["learner_id"] for doc in history.snapshots[at]["status"].values())
    moment = start + (end - start) / 2
    done = ledger_cli(settings, "audit", "replay", "--learner", learner,
                      "--as-of", moment.isoformat())
    assert done.returncode == 0, done.stderr.decode()
    transcript = orjson.loads(done.stdout)
    api_shape = history.ledger.transcript(Actor("auditor-1", "auditor"), learner, as_of=moment)
    assert transcript["as_of"] == moment.isoformat()
    assert transcript["chain_head"]["position"] == transcript["position"]
    assert {k: v for k, v in transcript.items() if k != "as_of"} == \
        {k: v for k, v in orjson.loads(orjson.dumps(api_shape)).items()
         if k not in ("learner", "as_of")}
    assert transcript["credentials"] and transcript["position"] <= at


def test_the_replay_command_refuses_both_a_date_and_a_position(settings: Settings, ledger):
    done = ledger_cli(settings, "audit", "replay", "--position", "1", "--as-of", "2025-01-01")
    assert done.returncode == 2
    assert b"not both" in done.stderr


def test_replay_before_the_first_event_is_empty(ledger):
    replayer = replay(ledger, as_of=datetime(2000, 1, 1).astimezone() - timedelta(days=1))
    assert replayer.events == 0 and all(not docs for docs in replayer.documents.values())
