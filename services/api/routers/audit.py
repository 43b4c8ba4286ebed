"""The audit API: the event stream with chain hashes, verification, signed checkpoints."""

from typing import Annotated

from fastapi import APIRouter, Query

from ledger.read_wait import MAX_POSITION
from services.api import answers
from services.api.deps import CurrentActor, LedgerDep
from services.api.openapi import problems
from services.api.responses import FastJSONResponse

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/events", operation_id="list_audit_events", response_model=answers.AuditEvents,
            responses=problems(403))
def events(ledger: LedgerDep, actor: CurrentActor,
           after: Annotated[int | None, Query(
               ge=0, le=MAX_POSITION,
               description="the last position already seen (`next` of the previous page)")]
           = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Events in store order with their chain hashes, and what it takes to recompute them."""
    return FastJSONResponse(ledger.audit.events(actor, after, limit))


@router.get("/verify", operation_id="verify_audit_chain",
            response_model=answers.ChainVerification, responses=problems(403))
def verify(ledger: LedgerDep, actor: CurrentActor,
           from_checkpoint: Annotated[bool, Query(
               description="start from the newest signed checkpoint, not position 0")] = False):
    """Recompute the hash chain and check it against every signed checkpoint."""
    return FastJSONResponse(ledger.audit.verify(actor, from_checkpoint=from_checkpoint).as_json())


@router.get("/checkpoints", operation_id="get_audit_checkpoints",
            response_model=answers.Checkpoints)
def checkpoints(ledger: LedgerDep):
    """Signed chain heads with the ledger's public keys (did:key), to keep and check offline."""
    return FastJSONResponse(ledger.audit.checkpoints.document())
