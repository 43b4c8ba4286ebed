"""Transcripts and public verification."""

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
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return ledger.transcript(actor, learner_id, as_of)


@router.get("/verify/{credential_id}")
def verify(credential_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    return ledger.verify(credential_id)
