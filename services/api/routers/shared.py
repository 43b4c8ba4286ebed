"""What a share link opens, as JSON: the chosen credentials, each with its verification and
its signed OB 3.0 credential (the page itself is services/web/shared.py)."""

from typing import Annotated

from fastapi import APIRouter, Path

from services.api.deps import LedgerDep
from services.api.responses import FastJSONResponse
from services.api.sharing_schemas import SharedRecordOut

router = APIRouter(tags=["sharing"])
Secret = Annotated[str, Path(max_length=100)]


@router.get("/shared/{secret}.json", operation_id="view_shared_record",
            response_model=SharedRecordOut,
            responses={404: {"description": "no such link"},
                       410: {"description": "the link expired or was revoked"}})
def view_shared_record(secret: Secret, ledger: LedgerDep):
    """Public, for whoever holds the link; every opening is in the learner's disclosure log."""
    return shared_json(ledger, secret)


def shared_json(ledger: LedgerDep, secret: str) -> FastJSONResponse:
    return FastJSONResponse(ledger.sharing.open_link(secret),
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                     "X-Robots-Tag": "noindex"})
