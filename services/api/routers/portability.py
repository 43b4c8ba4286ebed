"""Portability: a learner's exports, shared credentials, issuer profiles, status lists and
verification of documents."""

import asyncio

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ledger.domain.errors import InvalidRequest
from ledger.issuers import issuer_profile
from ledger.verification import DocumentVerifier
from services.api.deps import CurrentActor, LedgerDep, MinPosition, OptionalActor
from services.api.responses import cacheable

router = APIRouter(prefix="/v1", tags=["portability"])

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
# Lists change with every revocation; verifiers may hold one this long.
STATUS_LIST_MAX_AGE = 30


@router.get("/learners/{learner_id}/exports/{kind}", responses={200: {"content": {
    media: {} for media in ("application/ld+json", "application/xml", "application/pdf")}}})
def learner_export(learner_id: str, kind: str, ledger: LedgerDep, actor: CurrentActor,
                   min_position: MinPosition = None):
    """The learner's record as `clr` (CLR 2.0, signed), `ob3` (a list of signed OB 3.0
    credentials), `edc` (European Digital Credentials, ELM v3), `elmo` (EMREX ELMO XML) or
    `pdf` (a printable transcript with verification links)."""
    ledger.wait_for(min_position)
    export = ledger.portability.export(actor, learner_id, kind)
    headers = {"Content-Digest": f"sha-256=:{export.digest_base64}:"}
    if kind in ("pdf", "elmo"):
        suffix = "pdf" if kind == "pdf" else "xml"
        headers["Content-Disposition"] = f'inline; filename="transcript-{learner_id}.{suffix}"'
    return Response(export.content, media_type=export.media_type, headers=headers)


@router.get("/credentials/{credential_id}/ob3")
def credential_ob3(credential_id: str, ledger: LedgerDep, actor: OptionalActor,
                   min_position: MinPosition = None):
    """One signed OB 3.0 AchievementCredential: public once the learner shared it."""
    ledger.wait_for(min_position)
    return Response(orjson.dumps(ledger.portability.credential_ob3(actor, credential_id)),
                    media_type="application/json")


@router.get("/issuers/{issuer_id}")
def issuer(issuer_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    """An issuer's profile: its DID and every verification method it has signed with."""
    ledger.wait_for(min_position)
    return issuer_profile(ledger, issuer_id)


@router.get("/status-lists/{list_id}")
def status_list(list_id: str, request: Request, ledger: LedgerDep,
                min_position: MinPosition = None):
    """A signed BitstringStatusListCredential (`revocation-N` or `suspension-N`), with an ETag
    (If-None-Match gives 304 while the list is unchanged)."""
    ledger.wait_for(min_position)
    body = orjson.dumps(ledger.status_lists.credential(list_id))
    return cacheable(request, body, "application/json",
                     f"public, max-age={STATUS_LIST_MAX_AGE}")


VERIFY_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "An OB 3.0 AchievementCredential, a CLR 2.0 "
    "ClrCredential (its nested credentials are checked too) or a status list credential"}}}}}


@router.post("/verify", openapi_extra=VERIFY_BODY)
async def verify_document(request: Request, ledger: LedgerDep, min_position: MinPosition = None):
    """Check a credential document: proof, signing key against the issuer, status in the
    ledger's lists, accreditation on the award date; `verdict` is valid, invalid or unknown."""
    body = await request.body()
    if len(body) > MAX_DOCUMENT_BYTES:
        raise HTTPException(413, f"a document may be at most {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(f"the body is not JSON: {error}") from None
    await asyncio.to_thread(ledger.wait_for, min_position)
    return await asyncio.to_thread(DocumentVerifier(ledger).verify, document)
