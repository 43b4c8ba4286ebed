"""LearnerRecord: one stream per learner holding every credential, stack and recognition.

Keeping all of a learner's credentials in one aggregate lets stacking and the revocation
cascade be decided atomically: one save, one position.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain.actors import (
    Actor,
    check_acts_for_provider,
    check_can_act_on_credential,
    check_is_learner,
    check_role,
)
from ledger.domain.dates import IsoDate, check_not_in_future
from ledger.domain.errors import NotFound, RuleViolation
from ledger.domain.holdings import CORRECTABLE, HeldCredential, HeldGrant, HeldRecognition
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider
from ledger.domain.status import ACTIVE, REVOKED, SUSPENDED, UNDER_REVIEW, CredentialStatus

# Why a record was erased: GDPR Art. 17(1) grounds as codes. Never free text: the event is
# immutable, so a reason could otherwise carry the very personal data being erased.
ERASURE_GROUNDS = ("data_subject_request", "consent_withdrawn", "objection",
                   "unlawful_processing", "legal_obligation", "no_longer_necessary")
DECISIONS = ("recognised", "partially_recognised", "not_recognised")
# How long a grant of read access may last at most.
MAX_GRANT_DAYS = 366


class LearnerRecord(Aggregate):
    """Its events are the catalogue's (ledger.domain.catalogue): each has a stable topic, a
    version and typed fields; `apply` is the only code that changes the record's state."""

    TOPIC = "ledger.LearnerRecord"

    class Event(Aggregate.Event):
        class_version = 1  # an event whose payload changes raises its own, with an upcaster

    class Enrolled(Aggregate.Created, Event):
        TOPIC = "ledger.Enrolled"
        actor: str
        effective_on: IsoDate

    Created = Enrolled  # the library's "created" event: else it defines one, with no topic

    class CredentialIssued(Event):
        TOPIC = "ledger.CredentialIssued"
        credential_id: str
        provider_id: str
        programme_id: str
        title: str
        ects: float
        eqf_level: int
        awarded_on: IsoDate
        grade: str | None
        assessment: str | None
        actor: str
        effective_on: IsoDate
        status_index: int | None = None

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id] = HeldCredential(
                id=self.credential_id, kind="credential", provider_id=self.provider_id,
                programme_id=self.programme_id, title=self.title, ects=self.ects,
                eqf_level=self.eqf_level, awarded_on=self.awarded_on, grade=self.grade,
                assessment=self.assessment)

    class CredentialStacked(Event):
        TOPIC = "ledger.CredentialStacked"
        credential_id: str
        pathway_id: str
        provider_id: str
        title: str
        ects: float
        eqf_level: int
        component_ids: list[str]
        awarded_on: IsoDate
        actor: str
        effective_on: IsoDate
        status_index: int | None = None

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id] = HeldCredential(
                id=self.credential_id, kind="stack", provider_id=self.provider_id,
                pathway_id=self.pathway_id, title=self.title, ects=self.ects,
                eqf_level=self.eqf_level, awarded_on=self.awarded_on,
                components=list(self.component_ids))
            for component_id in self.component_ids:
                record.credentials[component_id].stacks.append(self.credential_id)

    class CredentialRevoked(Event):
        TOPIC = "ledger.CredentialRevoked"
        credential_id: str
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].status = REVOKED

    class CredentialSuspended(Event):
        TOPIC = "ledger.CredentialSuspended"
        credential_id: str
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].status = SUSPENDED

    class CredentialReinstated(Event):
        TOPIC = "ledger.CredentialReinstated"
        credential_id: str
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].status = ACTIVE

    class StackPutUnderReview(Event):
        TOPIC = "ledger.StackPutUnderReview"
        credential_id: str
        cause: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].status = UNDER_REVIEW

    class CredentialCorrected(Event):
        TOPIC = "ledger.CredentialCorrected"
        credential_id: str
        changes: dict[str, Any]
        previous: dict[str, Any]
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].corrected(self.changes)

    class CredentialShared(Event):
        TOPIC = "ledger.CredentialShared"
        credential_id: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].shared = True

    class CredentialUnshared(Event):
        TOPIC = "ledger.CredentialUnshared"
        credential_id: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.credentials[self.credential_id].shared = False

    class RecognitionRecorded(Event):
        TOPIC = "ledger.RecognitionRecorded"
        recognition_id: str
        credential_id: str
        body_id: str | None
        decision: str
        toward: str
        ects_recognised: float | None
        decided_on: IsoDate
        reference: str | None
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.recognitions.append(HeldRecognition(self.recognition_id,
                                                       self.credential_id))

    class AccessGranted(Event):
        """The learner lets an organisation read their whole record until `until` (an RFC 3339
        UTC instant). A note, if any, is kept outside the event (erasable free text)."""

        TOPIC = "ledger.AccessGranted"
        grant_id: str
        grantee_id: str
        grantee_kind: str
        until: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.grants[self.grant_id] = HeldGrant(self.grantee_id, self.until)

    class AccessRevoked(Event):
        TOPIC = "ledger.AccessRevoked"
        grant_id: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.grants[self.grant_id].revoked = True

    class RecordErased(Event):
        TOPIC = "ledger.RecordErased"
        reason: str
        actor: str
        effective_on: IsoDate

        def apply(self, record: "LearnerRecord") -> None:
            record.erased = True

    def __init__(self) -> None:
        self.credentials: dict[str, HeldCredential] = {}
        self.recognitions: list[HeldRecognition] = []
        self.grants: dict[str, HeldGrant] = {}
        self.erased = False

    @classmethod
    def enrol(cls, *, actor: Actor, today: date) -> "LearnerRecord":
        return cls._create(cls.Enrolled, actor=actor.principal_id,
                           effective_on=today.isoformat())

    # -- issuing ---------------------------------------------------------------------------

    def issue(self, *, actor: Actor, credential_id: str, provider: Provider,
              programme: MicroCredential, awarded_on: str, grade: str | None,
              assessment: str | None, today: date,
              status_index: Callable[[], int] | None = None) -> None:
        """`status_index` hands out the credential's status-list index once the rules pass
        (None: the event records none, and the index is its store position, as before)."""
        provider_id = str(provider.id)
        check_acts_for_provider(actor, provider_id)
        self.check_not_erased()
        check_not_in_future(awarded_on, today, "awarded_on")
        provider.check_accredited_on(awarded_on)
        programme.check_awardable(provider_id, awarded_on)
        spec = programme.specification
        self.trigger_event(
            self.CredentialIssued,
            credential_id=credential_id, provider_id=provider_id,
            programme_id=str(programme.id), title=spec["title"], ects=spec["ects"],
            eqf_level=spec["eqf_level"], awarded_on=awarded_on, grade=grade,
            assessment=assessment, actor=actor.principal_id, effective_on=awarded_on,
            status_index=status_index() if status_index else None,
        )

    def stack(self, *, actor: Actor, stack_id: str, pathway: Pathway, provider: Provider,
              component_ids: list[str], awarded_on: str, today: date,
              status_index: Callable[[], int] | None = None) -> None:
        provider_id = str(provider.id)
        check_acts_for_provider(actor, provider_id)
        if pathway.provider_id != provider_id:
            raise RuleViolation("a provider may stack only along its own pathways")
        self.check_not_erased()
        check_not_in_future(awarded_on, today, "awarded_on")
        provider.check_accredited_on(awarded_on)
        if not component_ids or len(set(component_ids)) != len(component_ids):
            raise RuleViolation("a stack needs distinct components")
        components = [self.check_stackable(cid, str(pathway.id)) for cid in component_ids]
        ects = sum(c.ects for c in components)
        pathway.check_satisfied_by([c.programme_id for c in components], ects)
        self.trigger_event(
            self.CredentialStacked,
            credential_id=stack_id, pathway_id=str(pathway.id), provider_id=provider_id,
            title=pathway.title, ects=ects, eqf_level=max(c.eqf_level for c in components),
            component_ids=component_ids, awarded_on=awarded_on, actor=actor.principal_id,
            effective_on=awarded_on, status_index=status_index() if status_index else None,
        )

    def check_stackable(self, credential_id: str, pathway_id: str) -> HeldCredential:
        component = self.credentials.get(credential_id)
        if component is None:
            raise RuleViolation(f"credential {credential_id} is not this learner's")
        if component.kind != "credential":
            raise RuleViolation(f"credential {credential_id} is itself a stack")
        if component.status != ACTIVE:
            raise RuleViolation(f"credential {credential_id} is {component.status}")
        for stack_id in component.stacks:
            stack = self.credentials[stack_id]
            if stack.pathway_id == pathway_id and stack.status != REVOKED:
                raise RuleViolation(
                    f"credential {credential_id} is already part of stack {stack_id}"
                )
        return component

    # -- lifecycle -------------------------------------------------------------------------

    def credential(self, credential_id: str) -> HeldCredential:
        try:
            return self.credentials[credential_id]
        except KeyError:
            raise NotFound(f"credential {credential_id} not found") from None

    def _check_lifecycle(self, actor: Actor, credential_id: str,
                         allowed: tuple[CredentialStatus, ...], action: str) -> HeldCredential:
        credential = self.credential(credential_id)
        check_can_act_on_credential(actor, credential.provider_id)
        if credential.status not in allowed:
            raise RuleViolation(f"a {credential.status} credential cannot be {action}")
        return credential

    def revoke(self, *, actor: Actor, credential_id: str, reason: str, today: date) -> None:
        self._check_lifecycle(actor, credential_id, (ACTIVE, SUSPENDED, UNDER_REVIEW),
                              "revoked")
        self.trigger_event(self.CredentialRevoked, credential_id=credential_id, reason=reason,
                           actor=actor.principal_id, effective_on=today.isoformat())
        # The cascade: every live stack built on this credential goes under review, in
        # the same save as the revocation.
        for stack_id in self.credentials[credential_id].stacks:
            if self.credentials[stack_id].status in (ACTIVE, SUSPENDED):
                self.trigger_event(self.StackPutUnderReview, credential_id=stack_id,
                                   cause=credential_id, actor=actor.principal_id,
                                   effective_on=today.isoformat())

    def suspend(self, *, actor: Actor, credential_id: str, reason: str, today: date) -> None:
        self._check_lifecycle(actor, credential_id, (ACTIVE,), "suspended")
        self.trigger_event(self.CredentialSuspended, credential_id=credential_id, reason=reason,
                           actor=actor.principal_id, effective_on=today.isoformat())

    def reinstate(self, *, actor: Actor, credential_id: str, reason: str, today: date) -> None:
        credential = self.credential(credential_id)
        # A stack under review after a component's revocation is reinstated by its issuer.
        allowed = (SUSPENDED, UNDER_REVIEW) if credential.kind == "stack" else (SUSPENDED,)
        self._check_lifecycle(actor, credential_id, allowed, "reinstated")
        self.trigger_event(self.CredentialReinstated, credential_id=credential_id,
                           reason=reason, actor=actor.principal_id,
                           effective_on=today.isoformat())

    def correct(self, *, actor: Actor, credential_id: str, changes: dict[str, Any],
                reason: str, provider: Provider, programme: MicroCredential | None,
                today: date) -> None:
        credential = self.credential(credential_id)
        check_acts_for_provider(actor, credential.provider_id)
        if credential.status == REVOKED:
            raise RuleViolation("a revoked credential cannot be corrected")
        unknown = set(changes) - set(CORRECTABLE)
        if unknown or not changes:
            raise RuleViolation(f"only {', '.join(CORRECTABLE)} can be corrected")
        if "awarded_on" in changes:
            awarded_on = changes["awarded_on"]
            check_not_in_future(awarded_on, today, "awarded_on")
            provider.check_accredited_on(awarded_on)
            if programme is not None:
                programme.check_awardable(str(provider.id), awarded_on)
        previous = {field: getattr(credential, field) for field in changes}
        self.trigger_event(self.CredentialCorrected, credential_id=credential_id,
                           changes=changes, previous=previous, reason=reason,
                           actor=actor.principal_id, effective_on=today.isoformat())

    # -- sharing ---------------------------------------------------------------------------

    def share(self, *, actor: Actor, credential_id: str, shared: bool, today: date) -> None:
        """The learner decides whether anyone may fetch the credential's signed export."""
        credential = self.credential(credential_id)
        check_is_learner(actor, str(self.id))
        if credential.shared == shared:
            return  # already so: nothing to record
        event = self.CredentialShared if shared else self.CredentialUnshared
        self.trigger_event(event, credential_id=credential_id, actor=actor.principal_id,
                           effective_on=today.isoformat())

    # -- access grants ---------------------------------------------------------------------

    def grant_access(self, *, actor: Actor, grant_id: str, grantee: Provider, until: datetime,
                     now: datetime) -> None:
        """The learner lets a provider or a recognition body read the whole record until a
        moment in the next year; expiry is decided when the record is read."""
        check_is_learner(actor, str(self.id))
        self.check_not_erased()
        if until.tzinfo is None:
            raise RuleViolation("until must carry a time zone")
        if until <= now:
            raise RuleViolation("until must be in the future")
        if until > now + timedelta(days=MAX_GRANT_DAYS):
            raise RuleViolation(f"a grant lasts at most {MAX_GRANT_DAYS} days")
        kind = "recognition_body" if grantee.kind == "recognition_body" else "provider"
        self.trigger_event(self.AccessGranted, grant_id=grant_id, grantee_id=str(grantee.id),
                           grantee_kind=kind, until=until.astimezone(UTC).isoformat(),
                           actor=actor.principal_id, effective_on=now.date().isoformat())

    def revoke_access(self, *, actor: Actor, grant_id: str, today: date) -> None:
        check_is_learner(actor, str(self.id))
        grant = self.grants.get(grant_id)
        if grant is None:
            raise NotFound(f"grant {grant_id} not found")
        if grant.revoked:
            return  # already revoked: nothing to record
        self.trigger_event(self.AccessRevoked, grant_id=grant_id, actor=actor.principal_id,
                           effective_on=today.isoformat())

    # -- recognition -----------------------------------------------------------------------

    def recognise(self, *, actor: Actor, recognition_id: str, credential_id: str,
                  decision: str, toward: str, ects_recognised: float | None,
                  decided_on: str, reference: str | None, today: date) -> None:
        credential = self.credential(credential_id)
        self.check_not_erased()
        if decision not in DECISIONS:
            raise RuleViolation(f"decision must be one of {', '.join(DECISIONS)}")
        if credential.status == REVOKED:
            raise RuleViolation("a revoked credential cannot be recognised")
        check_not_in_future(decided_on, today, "decided_on")
        if ects_recognised is not None and ects_recognised > credential.ects:
            raise RuleViolation("ects_recognised exceeds the credential's ECTS")
        self.trigger_event(
            self.RecognitionRecorded,
            recognition_id=recognition_id, credential_id=credential_id, body_id=actor.scope,
            decision=decision, toward=toward, ects_recognised=ects_recognised,
            decided_on=decided_on, reference=reference, actor=actor.principal_id,
            effective_on=decided_on,
        )

    # -- erasure ---------------------------------------------------------------------------

    def check_not_erased(self) -> None:
        if self.erased:
            raise RuleViolation("this learner's record was erased: nothing new is recorded in it")

    def erase(self, *, actor: Actor, reason: str, today: date) -> None:
        """The learner's personal data is destroyed (by the caller, in the same transaction);
        the record keeps its credentials, anonymous, so that statistics and verification stay
        true. Only an administrator erases; a record is erased once."""
        check_role(actor, "admin")
        if self.erased:
            raise RuleViolation("this learner's record is already erased")
        if reason not in ERASURE_GROUNDS:
            raise RuleViolation(f"reason must be one of {', '.join(ERASURE_GROUNDS)}")
        self.trigger_event(self.RecordErased, reason=reason, actor=actor.principal_id,
                           effective_on=today.isoformat())
