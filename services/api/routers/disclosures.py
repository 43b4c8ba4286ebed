"""The disclosure log: every read of a learner's record by someone other than the learner."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger.domain.actors import check_role
from services.api.deps import CurrentActor, LedgerDep
from services.api.responses import FastJSONResponse
from services.api.sharing_schemas import DisclosuresOut

router = APIRouter(prefix="/v1", tags=["sharing"])
Limit = Annotated[int, Query(ge=1, le=100, description="entries per page (newest first)")]
Before = Annotated[int | None, Query(ge=1, description="the `next` of the previous page")]
PROBLEMS = {403: {"description": "neither the learner nor an auditor"}}


@router.get("/learners/{learner_id}/disclosures", operation_id="list_disclosures",
            response_model=DisclosuresOut, responses=PROBLEMS)
def list_disclosures(learner_id: Annotated[str, Path(max_length=100)], ledger: LedgerDep,
                     actor: CurrentActor, limit: Limit = 20, before: Before = None):
    """Who read the learner's record, when, what and through which grant or link (the
    learner's, and auditors')."""
    return FastJSONResponse(ledger.sharing.disclosures(actor, learner_id, limit, before))


@router.get("/disclosures", operation_id="query_disclosures", response_model=DisclosuresOut,
            responses=PROBLEMS)
def query_disclosures(learner_id: Annotated[str, Query(min_length=1, max_length=100)],
                      ledger: LedgerDep, actor: CurrentActor, limit: Limit = 20,
                      before: Before = None):
    """Auditors: the disclosure log of one learner."""
    check_role(actor, "auditor")
    return FastJSONResponse(ledger.sharing.disclosures(actor, learner_id, limit, before))
