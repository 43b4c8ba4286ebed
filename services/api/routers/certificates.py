"""The ledger's X.509 certificate, published beside its DID documents: EMREX contact points
(and anyone) check the enveloped signature of an ELMO report against it."""

from fastapi import APIRouter
from fastapi.responses import Response

from services.api.deps import LedgerDep

router = APIRouter(tags=["portability"])

CERTIFICATE_PATH = "/.well-known/ledger-certificate.pem"


@router.get(CERTIFICATE_PATH, operation_id="get_ledger_certificate", response_class=Response,
            responses={200: {"content": {"application/x-pem-file": {
                "schema": {"type": "string"}}}}})
def ledger_certificate(ledger: LedgerDep):
    """The PEM certificate whose key signs the ledger's ELMO reports (also carried in each
    report's ds:KeyInfo)."""
    return Response(ledger.xml_keys.current().certificate_pem,
                    media_type="application/x-pem-file",
                    headers={"Cache-Control": "public, max-age=3600"})
