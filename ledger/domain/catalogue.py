"""The event catalogue: every event type the ledger records, with its stable topic, public
type, version and fields, and the topics earlier releases stored it under.

The one place the domain, the projections, the exports, the relay and outside consumers learn
what an event is called:
- `topic` is what the store records (`ledger.CredentialIssued`), the class's `TOPIC`;
- `type` is the public name on Kafka and in audits (`LearnerRecord.CredentialIssued`, the
  CloudEvents `type`), the same for events stored under an old topic;
- `version` is the class's `class_version`; a payload stored at an older version is brought up
  to date by the class's `upcast_vN_vN+1` static methods (the library's own mechanism, which
  `upcast` below applies to the projections' raw payloads too).

Adding an event: declare its class on its aggregate (a `TOPIC`, typed fields, an `apply`);
it joins the catalogue by itself. Moving or renaming a class changes nothing stored; a stored
topic never changes (`MODULE_TOPICS` keeps the older releases' topics resolving).
"""

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain.learner import LearnerRecord
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider

PREFIX = "ledger."

# The public aggregate names (the first part of each event's public type) and their classes.
AGGREGATES: dict[str, type[Aggregate]] = {
    "Provider": Provider, "MicroCredential": MicroCredential, "Pathway": Pathway,
    "LearnerRecord": LearnerRecord,
}

# The topics stored by releases before the catalogue (Python module paths), each mapped to the
# stable topic that replaces it. Stored history keeps them forever: never remove a line. The
# aggregate topics are those of the "created" events' `originator_topic`.
MODULE_TOPICS: dict[str, str] = {
    "ledger.domain.provider:Provider": "ledger.Provider",
    "ledger.domain.provider:Provider.Registered": "ledger.Registered",
    "ledger.domain.provider:Provider.Accredited": "ledger.Accredited",
    "ledger.domain.provider:Provider.AccreditationRenewed": "ledger.AccreditationRenewed",
    "ledger.domain.provider:Provider.AccreditationWithdrawn": "ledger.AccreditationWithdrawn",
    "ledger.domain.programme:MicroCredential": "ledger.MicroCredential",
    "ledger.domain.programme:MicroCredential.Submitted": "ledger.Submitted",
    "ledger.domain.programme:MicroCredential.Approved": "ledger.Approved",
    "ledger.domain.programme:MicroCredential.Rejected": "ledger.Rejected",
    "ledger.domain.programme:MicroCredential.Withdrawn": "ledger.Withdrawn",
    "ledger.domain.pathway:Pathway": "ledger.Pathway",
    "ledger.domain.pathway:Pathway.Defined": "ledger.Defined",
    "ledger.domain.pathway:Pathway.Retired": "ledger.Retired",
    "ledger.domain.learner:LearnerRecord": "ledger.LearnerRecord",
    "ledger.domain.learner:LearnerRecord.Enrolled": "ledger.Enrolled",
    "ledger.domain.learner:LearnerRecord.CredentialIssued": "ledger.CredentialIssued",
    "ledger.domain.learner:LearnerRecord.CredentialStacked": "ledger.CredentialStacked",
    "ledger.domain.learner:LearnerRecord.CredentialRevoked": "ledger.CredentialRevoked",
    "ledger.domain.learner:LearnerRecord.StackPutUnderReview": "ledger.StackPutUnderReview",
    "ledger.domain.learner:LearnerRecord.CredentialSuspended": "ledger.CredentialSuspended",
    "ledger.domain.learner:LearnerRecord.CredentialReinstated": "ledger.CredentialReinstated",
    "ledger.domain.learner:LearnerRecord.CredentialCorrected": "ledger.CredentialCorrected",
    "ledger.domain.learner:LearnerRecord.CredentialShared": "ledger.CredentialShared",
    "ledger.domain.learner:LearnerRecord.CredentialUnshared": "ledger.CredentialUnshared",
    "ledger.domain.learner:LearnerRecord.RecognitionRecorded": "ledger.RecognitionRecorded",
    "ledger.domain.learner:LearnerRecord.RecordErased": "ledger.RecordErased",
}

# The library's own fields of every event, kept out of the payload.
ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp",
                             "originator_topic"})


@dataclass(frozen=True)
class EventType:
    """One event type: its class on its aggregate, and the names and version it goes by."""

    aggregate: str
    event: type[Aggregate.Event]

    @property
    def topic(self) -> str:
        return self.event.TOPIC

    @property
    def name(self) -> str:
        return event_name(self.event)

    @property
    def type(self) -> str:
        return f"{self.aggregate}.{self.name}"

    @property
    def version(self) -> int:
        return self.event.class_version

    @property
    def dataschema(self) -> str:
        """The URI of the JSON Schema of this type's data at this version (its `$id`; the
        CloudEvents `dataschema` of each published event)."""
        return f"urn:ledger:events:{self.type}:v{self.version}"

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(old for old, new in MODULE_TOPICS.items() if new == self.topic)

    @cached_property
    def fields(self) -> tuple[dataclasses.Field, ...]:
        """The payload's fields, in stored order."""
        return tuple(f for f in dataclasses.fields(self.event)
                     if f.name not in ENVELOPE_FIELDS)

    def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
        """A stored payload (without the library's fields) brought to this version, in place;
        `class_version` (written by the library from version 2 on) is removed."""
        stored = data.pop("class_version", 1)
        while stored < self.version:
            getattr(self.event, f"upcast_v{stored}_v{stored + 1}")(data)
            stored += 1
        return data


def event_name(event: type[Aggregate.Event]) -> str:
    """'ledger.CredentialIssued' -> 'CredentialIssued': the name projections match on."""
    return event.TOPIC.removeprefix(PREFIX)


def aggregate_name(aggregate: type[Aggregate]) -> str:
    """LearnerRecord -> 'LearnerRecord': the first part of its events' public types."""
    return next(name for name, cls in AGGREGATES.items() if cls is aggregate)


def _event_classes(aggregate: type[Aggregate]) -> Iterator[type[Aggregate.Event]]:
    seen: set[type] = set()
    for value in vars(aggregate).values():
        if (isinstance(value, type) and issubclass(value, aggregate.Event)
                and value is not aggregate.Event and value not in seen):
            seen.add(value)
            yield value


EVENTS: tuple[EventType, ...] = tuple(
    EventType(name, event) for name, aggregate in AGGREGATES.items()
    for event in _event_classes(aggregate)
)
BY_TOPIC: dict[str, EventType] = {
    **{e.topic: e for e in EVENTS},
    **{old: e for e in EVENTS for old in e.aliases},
}
BY_TYPE: dict[str, EventType] = {e.type: e for e in EVENTS}


def aliases() -> dict[str, type]:
    """Every topic stored history may hold, old and new, with the class it resolves to
    (for the store to register with the library)."""
    classes: dict[str, type] = {topic: e.event for topic, e in BY_TOPIC.items()}
    by_topic = {aggregate.TOPIC: aggregate for aggregate in AGGREGATES.values()}
    for old, new in MODULE_TOPICS.items():
        if new in by_topic:
            classes[old] = by_topic[new]
    return classes | by_topic
