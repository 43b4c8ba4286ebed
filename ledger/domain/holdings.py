"""What a learner's record holds, as typed values: each credential or stack with its status,
each recognition, and the read access the learner granted. Built only by the record's events
(ledger.domain.learner)."""

from dataclasses import dataclass, field
from typing import Literal

from ledger.domain.dates import IsoDate
from ledger.domain.status import ACTIVE, CredentialStatus

Kind = Literal["credential", "stack"]
# The fields a correction may change (CredentialCorrected.changes names only these).
CORRECTABLE = ("awarded_on", "grade", "assessment")


@dataclass(slots=True)
class HeldCredential:
    """A credential (one programme) or a stack (a pathway's components) the learner holds."""

    id: str
    kind: Kind
    provider_id: str
    title: str
    ects: float
    eqf_level: int
    awarded_on: IsoDate
    status: CredentialStatus = ACTIVE
    programme_id: str | None = None  # a credential's programme
    pathway_id: str | None = None  # a stack's pathway
    grade: str | None = None
    assessment: str | None = None
    components: list[str] = field(default_factory=list)  # a stack's credentials
    stacks: list[str] = field(default_factory=list)  # the stacks this one is part of
    shared: bool = False

    def corrected(self, changes: dict[str, str | None]) -> None:
        for name, value in changes.items():
            if name not in CORRECTABLE:
                raise ValueError(f"{name} cannot be corrected")
            setattr(self, name, value)


@dataclass(frozen=True, slots=True)
class HeldRecognition:
    """A recognition body's decision on one of the learner's credentials."""

    id: str
    credential_id: str


@dataclass(slots=True)
class HeldGrant:
    """Read access the learner granted an organisation until an RFC 3339 UTC instant."""

    grantee_id: str
    until: str
    revoked: bool = False
