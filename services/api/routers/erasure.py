"""Erasure of a learner's personal data (admin only)."""

from fastapi import APIRouter

from services.api import answers
from services.api.deps import Writer
from services.api.openapi import problems
from services.api.responses import FastJSONResponse
from services.api.schemas import ErasureIn

router = APIRouter(prefix="/v1", tags=["learners and credentials"])


@router.post("/learners/{learner_id}/erase", operation_id="erase_learner",
             response_model=answers.LearnerErased, responses=problems(403, 404, 409))
async def erase_learner(learner_id: str, writer: Writer, body: ErasureIn | None = None):
    """Destroy the learner's vault key (crypto-shredding) and record RecordErased. Their
    credentials stay, anonymous: statistics, verification and the hash chain are unchanged.
    Afterwards no response, read model, export, log line or Kafka message holds their
    personal data."""
    body = body or ErasureIn()
    # Ledger.erase runs the command, then releases the erased rows' residue in the database.
    outcome = await writer.ledger.erase(writer.actor, learner_id, body.reason,
                                        writer.idempotency(body.fields()))
    return FastJSONResponse(outcome.body, status_code=outcome.status)
