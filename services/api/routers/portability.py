"""Portability: a learner's exports, shared credentials, issuer profiles, status lists and
verification of documents."""

import logging
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from ledger import document_limits
from ledger.canonical_pool import BUDGET_SECONDS, TooComplex
from ledger.domain.errors import InvalidRequest
from ledger.issuers import issuer_profile
from ledger.verification import MAX_NESTED
from services.api import answers
from services.api.body_limit import DEFAULT_LIMIT
from services.api.deps import CurrentActor, LedgerDep, MinPosition, OptionalActor
from services.api.openapi import Problem, problems
from services.api.responses import FastJSONResponse, cacheable

router = APIRouter(prefix="/v1", tags=["portability"])

MAX_DOCUMENT_BYTES = DEFAULT_LIMIT
log = logging.getLogger(__name__)
# Lists change with every revocation; verifiers may hold one this long.
STATUS_LIST_MAX_AGE = 30


# A JSON(-LD) export: one document (CLR) or a list of them (OB 3.0, EDC).
DOCUMENTS = {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
# An enum in the document; any other kind is still answered (404 naming the formats).
ExportKind = Annotated[str, Path(json_schema_extra={
    "enum": ["clr", "ob3", "edc", "elmo", "pdf"]})]


@router.get("/learners/{learner_id}/exports/{kind}", operation_id="export_learner_record",
            response_class=Response,
            responses={200: {"description": "The export, in its format's media type",
                             "content": {"application/ld+json": {"schema": DOCUMENTS},
                                         "application/json": {"schema": DOCUMENTS},
                                         "application/xml": {"schema": {"type": "string"}},
                                         "application/pdf": {"schema": {
                                             "type": "string", "format": "binary"}}}},
                       **problems(403, 404, 503)})
def learner_export(learner_id: str, kind: ExportKind, ledger: LedgerDep, actor: CurrentActor,
                   min_position: MinPosition = None):
    """The learner's record as `clr` (CLR 2.0, signed), `ob3` (a list of signed OB 3.0
    credentials), `edc` (European Digital Credentials, ELM v3), `elmo` (EMREX ELMO XML) or
    `pdf` (a printable transcript with verification links)."""
    export = ledger.export(actor, learner_id, kind)
    headers = {"Content-Digest": f"sha-256=:{export.digest_base64}:"}
    if kind in ("pdf", "elmo"):
        suffix = "pdf" if kind == "pdf" else "xml"
        headers["Content-Disposition"] = f'inline; filename="transcript-{learner_id}.{suffix}"'
    return Response(export.content, media_type=export.media_type, headers=headers)


@router.get("/credentials/{credential_id}/ob3", operation_id="get_shared_credential",
            response_model=answers.VerifiableCredential, responses=problems(403, 404, 503))
def credential_ob3(credential_id: str, ledger: LedgerDep, actor: OptionalActor,
                   min_position: MinPosition = None):
    """One signed OB 3.0 AchievementCredential: public once the learner shared it."""
    return Response(orjson.dumps(ledger.credential_ob3(actor, credential_id)),
                    media_type="application/json")


@router.get("/issuers/{issuer_id}", operation_id="get_issuer_profile",
            response_model=answers.IssuerProfile, responses=problems(404))
def issuer(issuer_id: str, ledger: LedgerDep, min_position: MinPosition = None):
    """An issuer's profile: its DID and every verification method it has signed with."""
    return FastJSONResponse(issuer_profile(ledger, issuer_id))


@router.get("/status-lists/{list_id}", operation_id="get_status_list",
            response_model=answers.VerifiableCredential,
            responses={304: {"description": "Not modified (If-None-Match)"},
                       **problems(404, 503)})
def status_list(list_id: str, request: Request, ledger: LedgerDep,
                min_position: MinPosition = None):
    """A signed BitstringStatusListCredential (`revocation-N` or `suspension-N`), with an ETag
    (If-None-Match gives 304 while the list is unchanged)."""
    body = orjson.dumps(ledger.status_lists.credential(list_id))
    return cacheable(request, body, "application/json",
                     f"public, max-age={STATUS_LIST_MAX_AGE}")


VERIFY_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "An OB 3.0 AchievementCredential, a CLR 2.0 "
    "ClrCredential (its nested credentials are checked too) or a status list credential"}}}}}


@router.post("/verify", operation_id="verify_document", openapi_extra=VERIFY_BODY,
             response_model=answers.DocumentVerification, responses={**problems(400, 503),
    413: {"model": Problem, "description": f"the body exceeds {MAX_DOCUMENT_BYTES} bytes"},
    422: {"model": Problem, "description": "not a credential, or past the verifier's limits "
          "(nesting "
          f"{document_limits.MAX_DEPTH} levels, {document_limits.MAX_VALUES} JSON values, "
          f"{document_limits.MAX_PROOFS} proofs per document, {MAX_NESTED} credentials in a "
          f"CLR, {BUDGET_SECONDS:g} s of canonicalisation)"},
    429: {"model": Problem,
          "description": "every verification worker is busy: retry after Retry-After"}})
async def verify_document(request: Request, min_position: MinPosition = None):
    """Check a credential document: every proof, each signing key against the keys the ledger
    published for the issuer's DID, status in the ledger's lists, accreditation on the award
    date, and for a CLR each credential in it and its subject; `verdict` is valid, invalid or
    unknown (a well-signed document from an issuer the ledger does not know)."""
    body = await request.body()  # at most MAX_DOCUMENT_BYTES: services.api.body_limit
    try:
        document = orjson.loads(body)
        return FastJSONResponse(await request.app.state.verifier.verify(document))
    except orjson.JSONDecodeError as error:
        log.warning("POST /v1/verify: the body is not JSON (%s)", error)
        raise InvalidRequest(f"the body is not JSON: {error}") from None
    except TooComplex as error:
        log.warning("POST /v1/verify: refused, %s", error.detail)
        raise
