"""Transcripts and public verification (answered as the JSON they are: FastAPI's generic
encoding of a transcript costs more than reading it)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.api import answers
from services.api.deps import CurrentActor, LedgerDep, MinPosition
from services.api.openapi import problems
from services.api.responses import FastJSONResponse

router = APIRouter(prefix="/v1", tags=["reading"])


@router.get("/learners/{learner_id}/transcript", operation_id="get_transcript",
            response_model=answers.Transcript, responses=problems(403, 404))
def transcript(learner_id: str, ledger: LedgerDep, actor: CurrentActor,
               min_position: MinPosition = None,
               as_of: Annotated[datetime | None, Query(
                   description="RFC 3339 timestamp: the transcript as it stood then")] = None):
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return FastJSONResponse(ledger.transcript(actor, learner_id, as_of))


@router.get("/verify/{credential_id}", operation_id="verify_credential",
            response_model=answers.CredentialVerification, responses=problems(404))
def verify(credential_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    return FastJSONResponse(ledger.verify(credential_id))
