"""The event envelope every projection consumes: the same shape in-process and on Kafka.

It is the ledger's public event contract (CloudEvents-style), separate from the aggregate
classes: `type` is "Aggregate.Event", `subject` the stream id, `position` the store position.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification, Transcoder

ENVELOPE_VERSION = 1
SOURCE = "urn:ledger"
_NOT_DATA = ("timestamp", "originator_topic")


@dataclass(frozen=True)
class Envelope:
    type: str
    subject: str
    version: int
    position: int
    time: str
    data: dict[str, Any]

    @property
    def aggregate(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.type.split(".", 1)[1]

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


def event_type(topic: str) -> str:
    """'module:LearnerRecord.CredentialIssued' -> 'LearnerRecord.CredentialIssued'."""
    return topic.rsplit(":", 1)[-1]


def from_stored(transcoder: Transcoder, n: Notification) -> Envelope:
    state: dict[str, Any] = transcoder.decode(n.state)
    timestamp = state["timestamp"]
    time = timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp)
    data = {k: v for k, v in state.items() if k not in _NOT_DATA}
    return Envelope(type=event_type(n.topic), subject=str(n.originator_id),
                    version=n.originator_version, position=n.id, time=time, data=data)
