"""Request bodies of the HTTP contract (API.md). API models only: never events or rows."""

from datetime import date
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ledger.domain.learner import ERASURE_GROUNDS

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Ects = Annotated[float, Field(gt=0, le=180, strict=True, allow_inf_nan=False)]
# A positive quantity (hours, credits): finite and bounded, so it survives JSON and events.
Amount = Annotated[float, Field(gt=0, le=100_000, strict=True, allow_inf_nan=False)]


def _assigned_country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code} is not an assigned ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"),
                        AfterValidator(_assigned_country)]
LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
EqfLevel = Annotated[int, Field(ge=1, le=8, strict=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def fields(self) -> dict:
        return self.model_dump(mode="json")


class ProviderIn(Body):
    name: Text
    country: CountryCode
    kind: Literal["higher_education", "vocational", "employer", "recognition_body", "other"]
    legal_identifier: Text | None = None


class AccreditationIn(Body):
    valid_from: date
    valid_until: date
    scope: Text | None = None
    decision_reference: Text | None = None


class WithdrawalIn(Body):
    reason: Text
    effective_on: date


class MicroCredentialIn(Body):
    provider_id: Id
    title: Text
    learning_outcomes: Annotated[list[Text], Field(min_length=1, max_length=100)]
    ects: Ects
    eqf_level: EqfLevel
    assessment_type: Text
    participation_form: Literal["online", "onsite", "blended"]
    quality_assurance: Text
    workload_hours: Amount | None = None
    nqf_level: Annotated[int, Field(ge=1, le=12, strict=True)] | None = None
    prerequisites: Text | None = None
    supervision: Text | None = None
    stackable: Annotated[bool, Field(strict=True)] | None = None
    language: Annotated[str, StringConstraints(pattern=LANGUAGE_TAG)] | None = None
    isced_f: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,4}$")] | None = None


class ApprovalIn(Body):
    review_due: date
    approved_on: date | None = None


class ReasonIn(Body):
    reason: Text


class SharingIn(Body):
    shared: bool = Field(True, description="true: anyone with the link may fetch the "
                                           "credential's signed OB 3.0 export")


class PathwayIn(Body):
    provider_id: Id
    title: Text
    components: Annotated[list[Id], Field(min_length=1, max_length=50)]
    min_ects: Amount | None = None
    min_components: Annotated[int, Field(ge=1, le=1000, strict=True)] | None = None


class LearnerIn(Body):
    given_name: Text
    family_name: Text
    birth_date: date
    national_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=64)] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                            max_length=254)] | None = None


class CredentialIn(Body):
    learner_id: Id
    microcredential_id: Id
    awarded_on: date
    grade: Annotated[str, StringConstraints(max_length=100)] | None = None
    assessment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[dict], Field(min_length=1, max_length=10_000)]


class CorrectionIn(Body):
    reason: Text
    awarded_on: date | None = None
    grade: Annotated[str, StringConstraints(max_length=100)] | None = None
    assessment: Annotated[str, StringConstraints(max_length=2000)] | None = None

    def changes(self) -> dict:
        return {k: v for k, v in self.fields().items() if k != "reason" and v is not None}


class StackIn(Body):
    learner_id: Id
    pathway_id: Id
    component_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    awarded_on: date


class RecognitionIn(Body):
    credential_id: Id
    decision: Literal["recognised", "partially_recognised", "not_recognised"]
    toward: Text
    ects_recognised: Annotated[float, Field(ge=0, le=100_000, strict=True,
                                            allow_inf_nan=False)] | None = None
    decided_on: date | None = None
    reference: Text | None = None


class ErasureIn(Body):
    """Why: a GDPR Art. 17(1) ground as a code (never free text, which would be recorded in an
    immutable event)."""

    reason: Literal[ERASURE_GROUNDS] = "data_subject_request"  # type: ignore[valid-type]
