"""did:web DID documents (public): the ledger's at /.well-known/did.json, the QA body's and
every provider's at /issuers/{owner}/did.json, where did:web resolvers look for them."""

import orjson
from fastapi import APIRouter, Request, Response

from ledger.domain.errors import NotFound
from ledger.issuers import did_document
from ledger.urls import LEDGER_ISSUER
from services.api import answers
from services.api.deps import LedgerDep, MinPosition
from services.api.openapi import problems
from services.api.responses import cacheable

router = APIRouter(tags=["portability"])

MEDIA_TYPE = "application/did+ld+json"
# A rotation adds a key; a resolver holding the previous document fails on new proofs for
# at most this long.
MAX_AGE = 60
DOCUMENT = {200: {"content": {MEDIA_TYPE: {"schema": answers.Document.model_json_schema()}}},
            304: {"description": "Not modified (If-None-Match)"}, **problems(404)}


def _served(request: Request, ledger, owner: str):
    body = orjson.dumps(did_document(ledger, owner))
    return cacheable(request, body, MEDIA_TYPE, f"public, max-age={MAX_AGE}")


@router.get("/.well-known/did.json", operation_id="get_ledger_did_document",
            response_class=Response, responses=DOCUMENT)
def ledger_did(request: Request, ledger: LedgerDep, min_position: MinPosition = None):
    """The ledger's DID document (it signs CLRs and status lists)."""
    return _served(request, ledger, LEDGER_ISSUER)


@router.get("/issuers/{owner}/did.json", operation_id="get_issuer_did_document",
            response_class=Response, responses=DOCUMENT)
def issuer_did(owner: str, request: Request, ledger: LedgerDep,
               min_position: MinPosition = None):
    """A provider's (or the QA body's, `qa-body`) DID document, with every key it has had."""
    if owner == LEDGER_ISSUER:
        raise NotFound("the ledger's DID document is at /.well-known/did.json")
    return _served(request, ledger, owner)
