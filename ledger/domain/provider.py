"""Provider: an organisation registered with the QA body, and its accreditation history."""

from datetime import date

from eventsourcing.domain import Aggregate

from ledger.domain.accreditation import Ending, Window, held_on
from ledger.domain.actors import Actor, check_role
from ledger.domain.dates import IsoDate
from ledger.domain.errors import RuleViolation

KINDS = ("higher_education", "vocational", "employer", "recognition_body", "other")


class Provider(Aggregate):
    TOPIC = "ledger.Provider"

    class Event(Aggregate.Event):
        class_version = 1  # an event whose payload changes raises its own, with an upcaster

    class Registered(Aggregate.Created, Event):
        TOPIC = "ledger.Registered"
        name: str
        country: str
        kind: str
        legal_identifier: str | None
        actor: str
        effective_on: IsoDate

        def apply(self, provider: "Provider") -> None:
            provider.name = self.name
            provider.country = self.country
            provider.kind = self.kind
            provider.legal_identifier = self.legal_identifier

    Created = Registered  # the library's "created" event: else it defines one, with no topic

    class Accredited(Event):
        TOPIC = "ledger.Accredited"
        valid_from: IsoDate
        valid_until: IsoDate
        scope: str | None
        decision_reference: str | None
        actor: str
        effective_on: IsoDate

        def apply(self, provider: "Provider") -> None:
            provider.accreditations.append({"valid_from": self.valid_from,
                                            "valid_until": self.valid_until})

    class AccreditationRenewed(Accredited):
        """A further accreditation window: the same fields and effect as the first."""

        TOPIC = "ledger.AccreditationRenewed"

    class AccreditationWithdrawn(Event):
        TOPIC = "ledger.AccreditationWithdrawn"
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, provider: "Provider") -> None:
            provider.withdrawals.append({"effective_on": self.effective_on,
                                         "windows_before": len(provider.accreditations)})

    def __init__(self) -> None:
        self.name = ""
        self.country = ""
        self.kind = ""
        self.legal_identifier: str | None = None
        self.accreditations: list[Window] = []
        self.withdrawals: list[Ending] = []

    @classmethod
    def register(cls, *, actor: Actor, today: date, **details: str | None) -> "Provider":
        check_role(actor, "admin", "qa_body")
        if details.get("kind") not in KINDS:
            raise RuleViolation(f"kind must be one of {', '.join(KINDS)}")
        return cls._create(cls.Registered, **details, actor=actor.principal_id,
                           effective_on=today.isoformat())

    def accredit(
        self,
        *,
        actor: Actor,
        valid_from: str,
        valid_until: str,
        scope: str | None,
        decision_reference: str | None,
    ) -> None:
        check_role(actor, "qa_body")
        if valid_until <= valid_from:
            raise RuleViolation("an accreditation must end after it starts")
        details = {
            "valid_from": valid_from,
            "valid_until": valid_until,
            "scope": scope,
            "decision_reference": decision_reference,
            "actor": actor.principal_id,
            "effective_on": valid_from,
        }
        kind = self.AccreditationRenewed if self.accreditations else self.Accredited
        self.trigger_event(kind, **details)

    def withdraw_accreditation(self, *, actor: Actor, reason: str, effective_on: str) -> None:
        check_role(actor, "qa_body")
        if not self.accreditations:
            raise RuleViolation("the provider has no accreditation to withdraw")
        self.trigger_event(self.AccreditationWithdrawn, reason=reason,
                           actor=actor.principal_id, effective_on=effective_on)

    def is_accredited_on(self, day: str) -> bool:
        return held_on(day, self.accreditations, self.withdrawals)

    def check_accredited_on(self, day: str) -> None:
        if not self.is_accredited_on(day):
            raise RuleViolation(f"provider {self.id} was not accredited on {day}")
