"""The audit API: the event stream with chain hashes, verification, signed checkpoints."""

from typing import Annotated

from fastapi import APIRouter, Query

from ledger.read_wait import MAX_POSITION
from services.api.deps import CurrentActor, LedgerDep

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/events")
def events(ledger: LedgerDep, actor: CurrentActor,
           after: Annotated[int | None, Query(
               ge=0, le=MAX_POSITION,
               description="the last position already seen (`next` of the previous page)")]
           = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Events in store order with their chain hashes, and what it takes to recompute them."""
    return ledger.audit.events(actor, after, limit)


@router.get("/verify")
def verify(ledger: LedgerDep, actor: CurrentActor,
           from_checkpoint: Annotated[bool, Query(
               description="start from the newest signed checkpoint, not position 0")] = False):
    """Recompute the hash chain and check it against every signed checkpoint."""
    return ledger.audit.verify(actor, from_checkpoint=from_checkpoint).as_json()


@router.get("/checkpoints")
def checkpoints(ledger: LedgerDep):
    """Signed chain heads with the ledger's public keys (did:key), to keep and check offline."""
    return ledger.audit.checkpoints.document()
