"""The auditor's replay: one learner's transcript as it stood, and a document-by-document
comparison of a full replay with the live read models (the fold itself is
ledger.projections.replay, the code every read model is built with)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.projections.base import Projection
from ledger.projections.progress import KafkaWatermarks
from ledger.projections.replay import Progress, Replayer, ReplaySource
from ledger.projections.store import Folded, indexed
from ledger.projections.transcripts import learner_document, present
from ledger.store.database import Database


def learner_transcript(replayer: Replayer, learner_id: str) -> dict[str, Any] | None:
    """One learner's transcript in the API's shape (no personal data: read models never hold
    any), with the position of the learner's last event folded."""
    doc, position = learner_document(replayer, learner_id)
    if doc is None:
        return None
    return {**present(doc), "position": position}


# -- diff ---------------------------------------------------------------------------------------

@dataclass
class Difference:
    projection: str
    key: str
    kind: str  # missing (replay has it, live not), unexpected (live only), changed, stale
    live_position: int | None
    replayed_position: int | None
    fields: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Diff:
    settled: int  # every live read model had applied every event up to here
    position: int  # the replay went up to here (the newest row in the live snapshot)
    head: int  # the store's newest event when the diff began
    compared: int = 0
    in_flight: int = 0  # rows still catching up with events after `settled`
    differences: list[Difference] = field(default_factory=list)


# owner, position, the document as stored (JSON text), the indexed columns' values
LiveRow = tuple[str | None, int, str, tuple[Any, ...]]


EQUAL, IN_FLIGHT = "equal", "in flight"


def compare(name: str, key: str, live: LiveRow | None, replayed: Folded | None,
            in_flight_allowed: bool, columns: Sequence[str] = ()) -> Difference | str:
    """One document: EQUAL, IN_FLIGHT (a live row still catching up, when allowed), or the
    difference."""
    have = replayed is not None and replayed[2] is not None
    if live is None:
        if not have:
            return EQUAL
        return IN_FLIGHT if in_flight_allowed else Difference(name, key, "missing", None,
                                                              replayed[0])
    if not have:
        return Difference(name, key, "unexpected", live[1], None)
    owner, position, text, values = live
    if position != replayed[0]:
        if in_flight_allowed and position < replayed[0]:
            return IN_FLIGHT
        return Difference(name, key, "stale" if position < replayed[0] else "unexpected",
                          position, replayed[0])
    expected = replayed[2]
    wrong = [f"(column {c})" for c, v in zip(columns, values, strict=True)
             if v != expected.get(c)]
    if owner != replayed[1]:
        wrong.append("(owner)")
    if not wrong and orjson.dumps(expected).decode() == text:
        return EQUAL
    stored, expected = orjson.loads(text), orjson.loads(orjson.dumps(expected))
    fields = sorted(k for k in stored.keys() | expected.keys() if stored.get(k) != expected.get(k))
    if not wrong and not fields:
        return EQUAL
    return Difference(name, key, "changed", position, replayed[0], fields + wrong)


def live_snapshot(database: Database, projections: Sequence[Projection]
                  ) -> tuple[dict[str, int], dict[str, dict[str, LiveRow]]]:
    """Every live row of the projections and their recorded positions, read in one snapshot."""
    with database.transaction(commit=False) as cursor:
        if database.postgres:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        positions = {row["projection"]: row["position"] for row in
                     cursor.execute("SELECT projection, position FROM rm_positions").fetchall()}
        live = {}
        for projection in projections:
            columns = list(indexed(projection))
            cursor.execute(f"SELECT {', '.join(['key', 'owner', 'position', 'doc', *columns])} "
                           f"FROM {projection.table}")
            live[projection.name] = {
                row["key"]: (row["owner"], row["position"], row["doc"],
                             tuple(row[c] for c in columns))
                for row in cursor.fetchall()}
    return positions, live


def diff(ledger: ReplaySource, names: Sequence[str] | None = None,
         on_progress: Progress | None = None, on_plan: Callable[[int], None] | None = None
         ) -> Diff:
    """Replays the log and compares it with the live read models, document by document.

    Writes may continue meanwhile. Up to `settled` (what every live model had applied when
    the snapshot was taken) every document must match exactly; a row that has applied later
    events must match the replay at its own position; rows still catching up with events
    after `settled` are counted as in flight, never reported. On a quiet system `settled` is
    the head, so every document is compared."""
    projections = [ledger.read_models.projections[n] for n in
                   (names or list(ledger.read_models.projections))]
    head = ledger.events.head()
    external = ledger.progress.position() if isinstance(ledger.progress, KafkaWatermarks) else 0
    positions, live = live_snapshot(ledger.database, projections)
    settled = min(max(positions.get(p.name, 0), external) for p in projections)
    top = max([settled] + [row[1] for rows in live.values() for row in rows.values()])
    if on_plan is not None:
        on_plan(top)
    replayer = Replayer(ledger.events, ledger.app.mapper.transcoder, projections,
                        on_progress=on_progress)
    result = Diff(settled=settled, position=top, head=head)
    replayer.advance(settled)
    deferred: dict[str, list[str]] = {}
    for projection in projections:
        name = projection.name
        docs, rows = replayer.documents[name], live[name]
        for key in docs.keys() | rows.keys():
            row = rows.get(key)
            if row is not None and row[1] > settled:
                deferred.setdefault(name, []).append(key)
                continue
            _record(result, compare(name, key, row, docs.get(key), in_flight_allowed=False,
                                    columns=list(indexed(projection))))
    replayer.advance(top)
    for name, keys in deferred.items():
        docs, rows = replayer.documents[name], live[name]
        columns = list(indexed(ledger.read_models.projections[name]))
        for key in keys:
            _record(result, compare(name, key, rows[key], docs.get(key), in_flight_allowed=True,
                                    columns=columns))
    return result


def _record(result: Diff, outcome: Difference | str) -> None:
    if outcome == IN_FLIGHT:
        result.in_flight += 1
        return
    result.compared += 1
    if isinstance(outcome, Difference):
        result.differences.append(outcome)
