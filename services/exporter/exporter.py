"""Publishes a learner's updated portability exports to ledger.exports whenever their record
changes: a consumer group on ledger.events, like the projectors, whose "read model" is the
manifest of what it last published for each learner.

For each poll it waits until the read models have caught up with the polled events, renders
the touched learners' exports (ledger.portability), publishes one message per learner (key:
learner id) and only then records the consumed offsets with the manifests, in one
transaction. A crash re-publishes at most one poll, byte for byte the same (exports are a
function of the record).
"""

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from ledger.kafka import DEAD_LETTERS, EVENTS, EXPORTS
from ledger.portability import Portability
from ledger.projections.envelope import Envelope
from ledger.projections.progress import KafkaWatermarks
from ledger.store.database import Cursor, Database
from services.projector.projector import Projector, decode

log = logging.getLogger(__name__)

NAME = "exports"


class Interrupted(BaseException):
    """Asked to stop before the poll was published; nothing of it is recorded."""


class Exporter(Projector):
    def __init__(self, portability: Portability, progress: KafkaWatermarks, database: Database,
                 consumer_factory: Callable[[str], KafkaConsumer], producer: Any, *,
                 topic: str = EVENTS, dlq_topic: str = DEAD_LETTERS,
                 exports_topic: str = EXPORTS) -> None:
        self.portability = portability
        self.progress = progress
        self.producer = producer
        self.exports_topic = exports_topic
        self._stop = threading.Event()
        super().__init__(NAME, None, database, consumer_factory, producer, topic=topic,
                         dlq_topic=dlq_topic)

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        super().run(stop)

    def handle(self, tp: TopicPartition, records: Sequence[Any]) -> None:
        try:
            self._await_read_models(max(_position(r) for r in records))
            super().handle(tp, records)
        except Interrupted:
            return  # nothing recorded: the poll is consumed again after a restart

    def _await_read_models(self, position: int) -> None:
        pause = 0.01
        while not self.progress.reached(position):
            if self._stop.is_set():
                raise Interrupted
            self._stop.wait(pause)
            pause = min(pause * 2, 0.5)

    def _commit(self, tp: TopicPartition, envelopes: list[Envelope], next_offset: int) -> None:
        learners = sorted({e.subject for e in envelopes if e.aggregate == "LearnerRecord"})
        manifests = []
        if learners:
            position = max(e.position for e in envelopes)
            for learner_id in learners:
                if self._stop.is_set():  # rendering a large poll takes a while: stop promptly
                    raise Interrupted
                manifest = self.portability.manifest(learner_id, position)
                self.producer.send(self.exports_topic, key=learner_id.encode(),
                                   value=orjson.dumps(manifest),
                                   headers=[("position", str(position).encode())])
                manifests.append(manifest)
            self.producer.flush()
        with self.database.transaction() as cursor:
            for manifest in manifests:
                record_manifest(cursor, manifest)
            self._record_offset(cursor, tp.partition, next_offset)


def record_manifest(cursor: Cursor, manifest: dict[str, Any]) -> None:
    """What was last published for the learner: formats, URLs and digests (never moves back)."""
    digests = {kind: {k: v for k, v in entry.items() if k != "content"}
               for kind, entry in manifest["exports"].items()}
    summary = orjson.dumps({**manifest, "exports": digests}).decode()
    cursor.execute(
        "INSERT INTO export_manifests (learner_id, position, manifest) VALUES (?, ?, ?) "
        "ON CONFLICT (learner_id) DO UPDATE SET position = excluded.position, "
        "manifest = excluded.manifest WHERE export_manifests.position < excluded.position",
        (manifest["learner_id"], manifest["position"], summary))


def _position(record: Any) -> int:
    for name, value in record.headers or ():
        if name == "position":
            return int(value)
    try:
        return decode(record.value).position
    except Exception:  # a poison message: the projector's handling dead-letters it
        return 0
