"""Publishes a learner's updated portability exports to ledger.exports whenever their record
changes: a consumer of ledger.events, like the projectors, whose "read model" is the
manifest of what it last published for each learner.

For each poll it waits until the read models have caught up with the polled events, renders
the touched learners' exports (ledger.portability), publishes one message per learner (key:
learner id) and only then records the consumed offsets with the manifests, in one
transaction. A crash re-publishes at most one poll, byte for byte the same (exports are a
function of the record). Like the projectors it owns partitions through advisory locks.

Each message is a CloudEvent in binary content mode (type `LearnerRecord.ExportsPublished`,
subject the learner, the position as an extension, ledger.projections.wire); the value is the
manifest, as in envelope 1, whose `position` header stays for the consumers of that form.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from ledger.domain.catalogue import aggregate_name
from ledger.domain.learner import LearnerRecord
from ledger.kafka import DEAD_LETTERS, EVENTS, EXPORTS
from ledger.portability import Portability
from ledger.projections import wire
from ledger.projections.envelope import Envelope
from ledger.projections.progress import KafkaWatermarks
from ledger.store.database import Cursor, Database
from services.projector.projector import Projector, decode

log = logging.getLogger(__name__)

NAME = "exports"
LEARNER_RECORD = aggregate_name(LearnerRecord)
# Not a stored event: the exporter's own message type, named in the same "Aggregate.Event" form.
EXPORTS_PUBLISHED = f"{LEARNER_RECORD}.ExportsPublished"


class Interrupted(BaseException):
    """Asked to stop before the poll was published; nothing of it is recorded."""


class Exporter(Projector):
    def __init__(self, portability: Portability, progress: KafkaWatermarks, database: Database,
                 consumer_factory: Callable[[str], KafkaConsumer], producer: Any, *,
                 topic: str = EVENTS, dlq_topic: str = DEAD_LETTERS,
                 exports_topic: str = EXPORTS, database_url: str | None = None,
                 envelope: int = wire.CLOUDEVENTS) -> None:
        self.portability = portability
        self.envelope = envelope
        self.progress = progress
        self.producer = producer
        self.exports_topic = exports_topic
        self._stop = threading.Event()
        super().__init__(NAME, None, database, consumer_factory, producer, topic=topic,
                         dlq_topic=dlq_topic, database_url=database_url)

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        super().run(stop)

    def handle_poll(self, polled: dict[TopicPartition, Sequence[Any]]) -> None:
        try:
            self._await_read_models(max(_position(r) for rs in polled.values() for r in rs))
            super().handle_poll(polled)
        except Interrupted:
            return  # nothing recorded: the poll is consumed again after a restart

    def _await_read_models(self, position: int) -> None:
        pause = 0.01
        while not self.progress.reached(position):
            if self._stop.is_set():
                raise Interrupted
            self._stop.wait(pause)
            pause = min(pause * 2, 0.5)

    def _commit(self, envelopes: list[Envelope], next_offsets: dict[int, int]) -> None:
        learners = sorted({e.subject for e in envelopes if e.aggregate == LEARNER_RECORD})
        manifests = []
        if learners:
            position = max(e.position for e in envelopes)
            for learner_id in learners:
                if self._stop.is_set():  # rendering a large poll takes a while: stop promptly
                    raise Interrupted
                manifest = self.portability.manifest(learner_id, position)
                self.producer.send(self.exports_topic, key=learner_id.encode(),
                                   value=orjson.dumps(manifest),
                                   headers=self._headers(learner_id, position, envelopes))
                manifests.append(manifest)
            self.producer.flush()
        with self.database.transaction() as cursor:
            for manifest in manifests:
                record_manifest(cursor, manifest)
            for partition, next_offset in next_offsets.items():
                self._record_offset(cursor, partition, next_offset)


    def _headers(self, learner_id: str, position: int,
                 envelopes: list[Envelope]) -> wire.Headers:
        legacy = [("position", str(position).encode())]
        if self.envelope == wire.LEGACY:
            return legacy
        # Dated by the learner's last event in the poll: a re-publication is identical.
        time = max(e.time for e in envelopes if e.subject == learner_id)
        return [*wire.cloudevent_headers(id=f"{learner_id}/exports/{position}",
                                         type=EXPORTS_PUBLISHED, subject=learner_id,
                                         time=time, position=position), *legacy]


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
    announced = wire.position(record.headers)
    if announced is not None:
        return announced
    try:
        return decode(record).position
    except Exception:  # a poison message: the projector's handling dead-letters it
        return 0
