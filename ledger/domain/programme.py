"""MicroCredential: a programme's specification (the EU Annex I elements) and its QA decisions."""

from datetime import date
from typing import Any, Literal

from eventsourcing.domain import Aggregate

from ledger.domain.accreditation import Ending, Window, held_on
from ledger.domain.actors import Actor, check_acts_for_provider, check_role
from ledger.domain.dates import IsoDate, check_not_in_future
from ledger.domain.errors import RuleViolation

ProgrammeStatus = Literal["submitted", "approved", "rejected", "withdrawn"]

# NZQA-style review cycle: an approval is reviewed at the latest three years after it.
LONGEST_REVIEW_CYCLE_YEARS = 3


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class MicroCredential(Aggregate):
    TOPIC = "ledger.MicroCredential"

    class Event(Aggregate.Event):
        class_version = 1  # an event whose payload changes raises its own, with an upcaster

    class Submitted(Aggregate.Created, Event):
        TOPIC = "ledger.Submitted"
        provider_id: str
        specification: dict[str, Any]
        actor: str
        effective_on: IsoDate

        def apply(self, programme: "MicroCredential") -> None:
            programme.provider_id = self.provider_id
            programme.specification = self.specification

    Created = Submitted  # the library's "created" event: else it defines one, with no topic

    class Approved(Event):
        TOPIC = "ledger.Approved"
        approved_on: IsoDate
        review_due: IsoDate
        actor: str
        effective_on: IsoDate

        def apply(self, programme: "MicroCredential") -> None:
            programme.status = "approved"
            programme.approvals.append({"valid_from": self.approved_on,
                                        "valid_until": self.review_due})

    class Rejected(Event):
        TOPIC = "ledger.Rejected"
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, programme: "MicroCredential") -> None:
            programme.status = "rejected"

    class Withdrawn(Event):
        TOPIC = "ledger.Withdrawn"
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, programme: "MicroCredential") -> None:
            programme.status = "withdrawn"
            programme.endings.append({"effective_on": self.effective_on,
                                      "windows_before": len(programme.approvals)})

    def __init__(self) -> None:
        self.provider_id = ""
        self.specification: dict[str, Any] = {}
        self.status: ProgrammeStatus = "submitted"
        self.approvals: list[Window] = []
        self.endings: list[Ending] = []

    @classmethod
    def submit(cls, *, actor: Actor, provider_id: str, specification: dict[str, Any],
               today: date) -> "MicroCredential":
        check_acts_for_provider(actor, provider_id)
        return cls._create(cls.Submitted, provider_id=provider_id,
                           specification=specification, actor=actor.principal_id,
                           effective_on=today.isoformat())

    @property
    def title(self) -> str:
        return self.specification["title"]

    def approve(self, *, actor: Actor, approved_on: str, review_due: str, today: date) -> None:
        check_role(actor, "qa_body")
        if self.status not in ("submitted", "approved"):
            raise RuleViolation(f"a {self.status} programme cannot be approved")
        check_not_in_future(approved_on, today, "approved_on")
        if review_due <= approved_on:
            raise RuleViolation("review_due must come after the approval")
        latest = years_after(date.fromisoformat(approved_on), LONGEST_REVIEW_CYCLE_YEARS)
        if date.fromisoformat(review_due) > latest:
            raise RuleViolation("review_due may be at most three years after the approval")
        self.trigger_event(self.Approved, approved_on=approved_on, review_due=review_due,
                           actor=actor.principal_id, effective_on=approved_on)

    def reject(self, *, actor: Actor, reason: str, today: date) -> None:
        check_role(actor, "qa_body")
        if self.status != "submitted":
            raise RuleViolation(f"a {self.status} programme cannot be rejected")
        self.trigger_event(self.Rejected, reason=reason, actor=actor.principal_id,
                           effective_on=today.isoformat())

    def withdraw(self, *, actor: Actor, reason: str, effective_on: str) -> None:
        if actor.role != "qa_body":
            check_acts_for_provider(actor, self.provider_id)
        if self.status == "withdrawn":
            raise RuleViolation("the programme is already withdrawn")
        self.trigger_event(self.Withdrawn, reason=reason, actor=actor.principal_id,
                           effective_on=effective_on)

    def is_approved_on(self, day: str) -> bool:
        return held_on(day, self.approvals, self.endings)

    def check_awardable(self, provider_id: str, day: str) -> None:
        if self.provider_id != provider_id:
            raise RuleViolation("a provider may award only its own programmes")
        if not self.is_approved_on(day):
            raise RuleViolation(f"programme {self.id} was not approved and in date on {day}")
