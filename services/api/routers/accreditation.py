"""Accreditation anyone can check offline: the QA body's signed endorsements of each provider
and the signed registry of the providers accredited today."""

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from ledger import issuer_registry
from services.api import answers
from services.api.deps import LedgerDep, MinPosition
from services.api.openapi import problems

router = APIRouter(prefix="/v1", tags=["accreditation"])

REGISTRY_MAX_AGE = 300


@router.get("/issuer-registry", operation_id="get_issuer_registry",
            response_model=answers.IssuerRegistry, responses=problems(503))
def registry(ledger: LedgerDep, min_position: MinPosition = None):
    """The providers accredited today, keyed by DID, in the Digital Credentials Consortium's
    registry format; its signed form (a JWS by the QA body) is at `/v1/issuer-registry.jws`."""
    body, _ = _published(ledger)
    return Response(body, media_type=issuer_registry.MEDIA_TYPE, headers={
        "Cache-Control": f"public, max-age={REGISTRY_MAX_AGE}",
        "Link": f'<{ledger.urls.issuer_registry}.jws>; rel="alternate"; '
                f'type="{issuer_registry.JWS_MEDIA_TYPE}"'})


@router.get("/issuer-registry.jws", operation_id="get_signed_issuer_registry",
            response_class=Response, responses={
    200: {"content": {"application/jose": {"schema": {"type": "string"}}}}, **problems(503)})
def signed_registry(ledger: LedgerDep, min_position: MinPosition = None):
    """The registry as a compact JWS (alg Ed25519, RFC 9864) by the QA body: `kid` names the
    key in the QA body's DID document; the payload is the registry's JSON."""
    _, token = _published(ledger)
    return Response(token, media_type=issuer_registry.JWS_MEDIA_TYPE,
                    headers={"Cache-Control": f"public, max-age={REGISTRY_MAX_AGE}"})


@router.get("/issuers/{provider_id}/endorsements", operation_id="list_endorsements",
            response_model=list[answers.VerifiableCredential], responses=problems(404, 503))
def endorsements(provider_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    """Every accreditation of the provider as the QA body's signed EndorsementCredential."""
    entry = ledger.read_models.get("register", provider_id)
    documents = ledger.portability.endorsements.published(entry, provider_id)
    return Response(orjson.dumps(documents), media_type="application/json")


@router.get("/issuers/{provider_id}/endorsements/{number}", operation_id="get_endorsement",
            response_model=answers.VerifiableCredential, responses=problems(404, 503))
def endorsement(provider_id: str, number: int, ledger: LedgerDep,
                min_position: MinPosition = None):
    """One signed EndorsementCredential (its `id`)."""
    entry = ledger.read_models.get("register", provider_id)
    document = ledger.portability.endorsements.one(entry, provider_id, number)
    return Response(orjson.dumps(document), media_type="application/json")


def _published(ledger: LedgerDep) -> tuple[bytes, str]:
    return issuer_registry.published(ledger.read_models.all("register"), ledger.urls,
                                     ledger.calendar.today().isoformat(),
                                     ledger.portability.endorsements.signer())
