"""Pathway: the rule by which component credentials stack into a larger one."""

from collections.abc import Sequence
from datetime import date

from eventsourcing.domain import Aggregate

from ledger.domain.actors import Actor, check_acts_for_provider
from ledger.domain.dates import IsoDate
from ledger.domain.errors import RuleViolation


class Pathway(Aggregate):
    TOPIC = "ledger.Pathway"

    class Event(Aggregate.Event):
        class_version = 1  # an event whose payload changes raises its own, with an upcaster

    class Defined(Aggregate.Created, Event):
        TOPIC = "ledger.Defined"
        provider_id: str
        title: str
        components: list[str]
        min_ects: float | None
        min_components: int | None
        actor: str
        effective_on: IsoDate

        def apply(self, pathway: "Pathway") -> None:
            pathway.provider_id = self.provider_id
            pathway.title = self.title
            pathway.components = self.components
            pathway.min_ects = self.min_ects
            pathway.min_components = self.min_components

    Created = Defined  # the library's "created" event: else it defines one, with no topic

    class Retired(Event):
        TOPIC = "ledger.Retired"
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, pathway: "Pathway") -> None:
            pathway.retired = True

    def __init__(self) -> None:
        self.provider_id = ""
        self.title = ""
        self.components: list[str] = []
        self.min_ects: float | None = None
        self.min_components: int | None = None
        self.retired = False

    @classmethod
    def define(cls, *, actor: Actor, provider_id: str, title: str, components: list[str],
               min_ects: float | None, min_components: int | None, today: date) -> "Pathway":
        check_acts_for_provider(actor, provider_id)
        if len(set(components)) != len(components):
            raise RuleViolation("a pathway lists each component programme once")
        if min_components is not None and min_components > len(components):
            raise RuleViolation("min_components exceeds the number of component programmes")
        return cls._create(cls.Defined, provider_id=provider_id, title=title,
                           components=components, min_ects=min_ects,
                           min_components=min_components, actor=actor.principal_id,
                           effective_on=today.isoformat())

    def retire(self, *, actor: Actor, reason: str, today: date) -> None:
        check_acts_for_provider(actor, self.provider_id)
        self.trigger_event(self.Retired, reason=reason, actor=actor.principal_id,
                           effective_on=today.isoformat())

    def check_satisfied_by(self, programmes: Sequence[str], ects: float) -> None:
        """Components are given by their programme ids; `ects` is their total."""
        if self.retired:
            raise RuleViolation("the pathway is retired")
        outside = set(programmes) - set(self.components)
        if outside:
            raise RuleViolation("a component's programme is not part of the pathway")
        if len(set(programmes)) != len(programmes):
            raise RuleViolation("two components are awards of the same programme")
        all_of = self.min_components is None and self.min_ects is None
        if all_of and set(programmes) != set(self.components):
            raise RuleViolation("the pathway needs a component for each of its programmes")
        if self.min_components is not None and len(programmes) < self.min_components:
            raise RuleViolation(f"the pathway needs at least {self.min_components} components")
        if self.min_ects is not None and ects < self.min_ects:
            raise RuleViolation(f"the pathway needs at least {self.min_ects} ECTS")
