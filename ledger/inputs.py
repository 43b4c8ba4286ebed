"""The write use cases' typed inputs: what each command needs, as plain frozen data.

The HTTP layer validates, documents and gives examples (services/api/schemas.py, a
`to_input()` per body); the command line, the demo, benchmarks and tests build these directly.
Dates are ISO strings, as the domain records them. A programme's specification stays a mapping:
it is the document the provider files (the Council Recommendation's elements), recorded as filed.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class RegisterProvider:
    name: str
    country: str
    kind: str
    legal_identifier: str | None = None


@dataclass(frozen=True, slots=True)
class Accreditation:
    valid_from: str
    valid_until: str
    scope: str | None = None
    decision_reference: str | None = None


@dataclass(frozen=True, slots=True)
class ProgrammeDecision:
    """approve (review_due, approved_on: today when absent), reject (reason) or withdraw
    (reason, effective_on)."""
    decision: Literal["approve", "reject", "withdraw"]
    reason: str | None = None
    review_due: str | None = None
    approved_on: str | None = None
    effective_on: str | None = None


@dataclass(frozen=True, slots=True)
class DefinePathway:
    provider_id: str
    title: str
    components: list[str]
    min_ects: float | None = None
    min_components: int | None = None


@dataclass(frozen=True, slots=True)
class PersonalDetails:
    """Kept in the vault only (never in an event)."""
    given_name: str
    family_name: str
    birth_date: str
    national_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class IssueCredential:
    learner_id: str
    microcredential_id: str
    awarded_on: str
    grade: str | None = None
    assessment: str | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    reason: str
    awarded_on: str | None = None
    grade: str | None = None
    assessment: str | None = None

    def changes(self) -> dict[str, str]:
        """The fields corrected (those given)."""
        return {name: value for name, value in (("awarded_on", self.awarded_on),
                                                 ("grade", self.grade),
                                                 ("assessment", self.assessment))
                if value is not None}


@dataclass(frozen=True, slots=True)
class StackCredentials:
    learner_id: str
    pathway_id: str
    component_ids: list[str]
    awarded_on: str


@dataclass(frozen=True, slots=True)
class RecordRecognition:
    credential_id: str
    decision: str
    toward: str
    ects_recognised: float | None = None
    decided_on: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class GrantAccess:
    """Read access to the learner's whole record for an organisation, until an instant."""

    learner_id: str
    grantee_id: str
    until: datetime
    note: str | None = None  # the learner's own words: kept beside the event, erasable


@dataclass(frozen=True, slots=True)
class CreateShareLink:
    """A link to chosen credentials (None: the whole record) for an audience, until an
    instant."""

    learner_id: str
    credential_ids: list[str] | None
    audience: str
    expires_at: datetime


def fields(value: Any) -> dict[str, Any]:
    """An input's fields as a plain dict (answers echo them)."""
    return asdict(value)


Specification = Mapping[str, Any]
