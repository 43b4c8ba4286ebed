"""The event envelope every projection consumes: the same shape in-process and on Kafka.

It is the ledger's public event contract (on Kafka a CloudEvent: ledger.projections.wire),
separate from the aggregate classes: `type` is "Aggregate.Event", `subject` the stream id,
`position` the store position.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import Notification

from ledger.domain import catalogue
from ledger.store.transcoder import OrjsonTranscoder

ENVELOPE_VERSION = 1
SOURCE = "urn:ledger"


# Not frozen: a frozen dataclass's __init__ goes through object.__setattr__ per field, twice
# the cost of a slotted one, and a replay builds a million of these. Nothing mutates them.
@dataclass(slots=True)
class Envelope:
    type: str
    subject: str
    version: int
    position: int
    time: str
    data: dict[str, Any]

    @property
    def aggregate(self) -> str:
        return _split(self.type)[0]

    @property
    def name(self) -> str:
        return _split(self.type)[1]

    def as_json(self) -> dict[str, Any]:
        return {
            "specversion": ENVELOPE_VERSION, "id": f"{self.subject}/{self.version}",
            "type": self.type, "source": SOURCE, "subject": self.subject, "time": self.time,
            "position": self.position, "version": self.version, "data": self.data,
        }

    @classmethod
    def from_json(cls, message: dict[str, Any]) -> "Envelope":
        return cls(type=message["type"], subject=message["subject"],
                   version=int(message["version"]), position=int(message["position"]),
                   time=message["time"], data=message["data"])


# Cached: every projection asks for the parts of the type several times per event (a replay
# of a million events, millions of times), and there are a few dozen types.
@lru_cache(maxsize=1024)
def _split(type_: str) -> tuple[str, str]:
    aggregate, name = type_.split(".", 1)
    return aggregate, name


@lru_cache(maxsize=1024)
def event_type(topic: str) -> str:
    """The public type of a stored topic, from the catalogue: 'ledger.CredentialIssued' and
    the older 'ledger.domain.learner:LearnerRecord.CredentialIssued' are both
    'LearnerRecord.CredentialIssued'. A topic the catalogue does not know (a row from a newer
    release, or tampered with) keeps the older releases' rule: the part after the colon."""
    known = catalogue.BY_TOPIC.get(topic)
    return known.type if known else topic.rsplit(":", 1)[-1]


@lru_cache(maxsize=1024)
def _upcasting(topic: str) -> catalogue.EventType | None:
    """The topic's catalogue entry when its payloads may need upcasting (a version past 1)."""
    known = catalogue.BY_TOPIC.get(topic)
    return known if known and known.version > 1 else None


def from_row(transcoder: OrjsonTranscoder, position: int, subject: str, version: int,
             topic: str, state: bytes) -> Envelope:
    """An envelope straight from a stored row (the replay's path: no Notification object).
    Its data is the payload at the catalogue's current version of the event."""
    time, data = transcoder.decode_event(state)
    upcasting = _upcasting(topic)
    if upcasting is not None:
        upcasting.upcast(data)
    return Envelope(type=event_type(topic), subject=subject, version=version,
                    position=position, time=time, data=data)


def from_stored(transcoder: OrjsonTranscoder, n: Notification) -> Envelope:
    return from_row(transcoder, n.id, str(n.originator_id), n.originator_version, n.topic,
                    n.state)
