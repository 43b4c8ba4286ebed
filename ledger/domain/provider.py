"""Provider: an organisation registered with the QA body, and its accreditation history."""

from eventsourcing.domain import Aggregate, event

from ledger.domain.accreditation import Ending, Window, held_on
from ledger.domain.actors import Actor, check_role
from ledger.domain.errors import RuleViolation

KINDS = ("higher_education", "vocational", "employer", "recognition_body", "other")


class Provider(Aggregate):
    @event("Registered")
    def __init__(
        self,
        name: str,
        country: str,
        kind: str,
        legal_identifier: str | None,
        actor: str,
        effective_on: str,
    ) -> None:
        self.name = name
        self.country = country
        self.kind = kind
        self.legal_identifier = legal_identifier
        self.accreditations: list[Window] = []
        self.withdrawals: list[Ending] = []

    @classmethod
    def register(cls, *, actor: Actor, today: str, **details: str | None) -> "Provider":
        check_role(actor, "admin", "qa_body")
        if details.get("kind") not in KINDS:
            raise RuleViolation(f"kind must be one of {', '.join(KINDS)}")
        return cls(**details, actor=actor.principal_id, effective_on=today)

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
        if self.accreditations:
            self._renew(**details)
        else:
            self._accredit(**details)

    @event("Accredited")
    def _accredit(self, valid_from: str, valid_until: str, scope: str | None,
                  decision_reference: str | None, actor: str, effective_on: str) -> None:
        self.accreditations.append({"valid_from": valid_from, "valid_until": valid_until})

    @event("AccreditationRenewed")
    def _renew(self, valid_from: str, valid_until: str, scope: str | None,
               decision_reference: str | None, actor: str, effective_on: str) -> None:
        self.accreditations.append({"valid_from": valid_from, "valid_until": valid_until})

    def withdraw_accreditation(self, *, actor: Actor, reason: str, effective_on: str) -> None:
        check_role(actor, "qa_body")
        if not self.accreditations:
            raise RuleViolation("the provider has no accreditation to withdraw")
        self._withdraw(reason=reason, actor=actor.principal_id, effective_on=effective_on)

    @event("AccreditationWithdrawn")
    def _withdraw(self, reason: str, actor: str, effective_on: str) -> None:
        self.withdrawals.append(
            {"effective_on": effective_on, "windows_before": len(self.accreditations)}
        )

    def is_accredited_on(self, day: str) -> bool:
        return held_on(day, self.accreditations, self.withdrawals)

    def check_accredited_on(self, day: str) -> None:
        if not self.is_accredited_on(day):
            raise RuleViolation(f"provider {self.id} was not accredited on {day}")
