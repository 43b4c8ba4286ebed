"""Transcripts, the public register and public verification."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import CurrentActor, LedgerDep, MinPosition

router = APIRouter(prefix="/v1", tags=["reading"])


@router.get("/learners/{learner_id}/transcript")
def transcript(learner_id: str, ledger: LedgerDep, actor: CurrentActor,
               min_position: MinPosition = None,
               as_of: Annotated[datetime | None, Query(
                   description="RFC 3339 timestamp: the transcript as it stood then")] = None):
    ledger.wait_for(min_position)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return ledger.transcript(actor, learner_id, as_of)


@router.get("/register/providers")
def register_providers(ledger: LedgerDep, q: str | None = None, provider_id: str | None = None,
                       eqf_level: Annotated[int | None, Query(ge=1, le=8)] = None,
                       min_position: MinPosition = None):
    ledger.wait_for(min_position)
    items = ledger.register("provider", q, provider_id, None, ledger.calendar.today().isoformat())
    return {"items": [_public_provider(d) for d in items]}


@router.get("/register/microcredentials")
def register_programmes(ledger: LedgerDep, q: str | None = None, provider_id: str | None = None,
                        eqf_level: Annotated[int | None, Query(ge=1, le=8)] = None,
                        min_position: MinPosition = None):
    ledger.wait_for(min_position)
    items = ledger.register("microcredential", q, provider_id, eqf_level,
                            ledger.calendar.today().isoformat())
    return {"items": [_public_programme(d) for d in items]}


@router.get("/verify/{credential_id}")
def verify(credential_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    ledger.wait_for(min_position)
    return ledger.verify(credential_id)


def _public_provider(doc: dict) -> dict:
    return {k: doc.get(k) for k in ("id", "name", "country", "kind", "legal_identifier",
                                    "accreditations")}


def _public_programme(doc: dict) -> dict:
    hidden = {"kind_of_entry", "history", "endings"}
    return {k: v for k, v in doc.items() if k not in hidden}
