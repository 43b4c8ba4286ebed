"""did:web DID documents (public): the ledger's at /.well-known/did.json, the QA body's and
every provider's at /issuers/{owner}/did.json, where did:web resolvers look for them."""

import orjson
from fastapi import APIRouter, Request

from ledger.domain.errors import NotFound
from ledger.issuers import did_document
from ledger.urls import LEDGER_ISSUER
from services.api.deps import LedgerDep, MinPosition
from services.api.responses import cacheable

router = APIRouter(tags=["portability"])

MEDIA_TYPE = "application/did+ld+json"
# A rotation adds a key; a resolver holding the previous document fails on new proofs for
# at most this long.
MAX_AGE = 60
DOCUMENT = {200: {"content": {MEDIA_TYPE: {}}}}


def _served(request: Request, ledger, owner: str):
    body = orjson.dumps(did_document(ledger, owner))
    return cacheable(request, body, MEDIA_TYPE, f"public, max-age={MAX_AGE}")


@router.get("/.well-known/did.json", responses=DOCUMENT)
def ledger_did(request: Request, ledger: LedgerDep, min_position: MinPosition = None):
    """The ledger's DID document (it signs CLRs and status lists)."""
    ledger.wait_for(min_position)
    return _served(request, ledger, LEDGER_ISSUER)


@router.get("/issuers/{owner}/did.json", responses=DOCUMENT)
def issuer_did(owner: str, request: Request, ledger: LedgerDep,
               min_position: MinPosition = None):
    """A provider's (or the QA body's, `qa-body`) DID document, with every key it has had."""
    if owner == LEDGER_ISSUER:
        raise NotFound("the ledger's DID document is at /.well-known/did.json")
    ledger.wait_for(min_position)
    return _served(request, ledger, owner)
