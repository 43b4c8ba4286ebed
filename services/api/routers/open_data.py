"""Open data: the register as CSV and as ELM JSON-LD, streamed, with an ETag and a licence."""

from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from ledger import open_data
from ledger.application import Ledger
from services.api.deps import LedgerDep

router = APIRouter(prefix="/open-data", tags=["open data"])

CSV = "text/csv; charset=utf-8"
JSONLD = "application/ld+json"


def _serve(request: Request, ledger: Ledger, name: str, media_type: str,
           body: Callable[[str], Iterator]) -> Response:
    """The document as of today and the register's latest change: both name its version."""
    on = ledger.calendar.today().isoformat()
    etag = f'"{name}-{ledger.public_register.version()}-{on}"'
    headers = {"ETag": etag, "Cache-Control": "public, no-cache",
               "Link": f'<{open_data.LICENCE}>; rel="license"',
               "X-License": open_data.LICENCE_NAME}
    wanted = request.headers.get("if-none-match", "")
    if wanted.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in wanted.split(",")]:
        return Response(status_code=304, headers=headers)
    return StreamingResponse(body(on), media_type=media_type, headers=headers)


@router.get("/register.csv", response_class=StreamingResponse,
            operation_id="get_register_csv", responses={
                200: {"content": {CSV: {"schema": {"type": "string"}}}},
                304: {"description": "Not modified (If-None-Match)"}})
def register_csv(request: Request, ledger: LedgerDep):
    """The programmes listed today, one row each (RFC 4180, header row first)."""
    return _serve(request, ledger, "register.csv", CSV, lambda on: open_data.csv_lines(
        open_data.PROGRAMME_COLUMNS,
        open_data.programme_rows(ledger.public_register, ledger.urls, on)))


@router.get("/providers.csv", response_class=StreamingResponse,
            operation_id="get_providers_csv", responses={
                200: {"content": {CSV: {"schema": {"type": "string"}}}},
                304: {"description": "Not modified (If-None-Match)"}})
def providers_csv(request: Request, ledger: LedgerDep):
    """The providers accredited today, one row each."""
    return _serve(request, ledger, "providers.csv", CSV, lambda on: open_data.csv_lines(
        open_data.PROVIDER_COLUMNS,
        open_data.provider_rows(ledger.public_register, ledger.urls, on)))


@router.get("/register.jsonld", response_class=StreamingResponse,
            operation_id="get_register_jsonld", responses={
                200: {"content": {JSONLD: {"schema": {"type": "object"}}}},
                304: {"description": "Not modified (If-None-Match)"}})
def register_jsonld(request: Request, ledger: LedgerDep):
    """The programmes listed today as ELM qualifications (EU LOQ shapes)."""
    url = f"{ledger.urls.base}/open-data/register.jsonld"
    head = open_data.dataset(url, "Register of approved micro-credential programmes",
                             ledger.public_register.version())
    return _serve(request, ledger, "register.jsonld", JSONLD, lambda on: open_data.jsonld_stream(
        head, open_data.programme_nodes(ledger.public_register, ledger.urls,
                                        ledger.portability.operator, on)))


@router.get("/accreditations.jsonld", response_class=StreamingResponse,
            operation_id="get_accreditations_jsonld", responses={
                200: {"content": {JSONLD: {"schema": {"type": "object"}}}},
                304: {"description": "Not modified (If-None-Match)"}})
def accreditations_jsonld(request: Request, ledger: LedgerDep):
    """Every provider's accreditations as ELM accreditations (EU AMS shapes)."""
    url = f"{ledger.urls.base}/open-data/accreditations.jsonld"
    head = open_data.dataset(url, "Accreditations of education and training providers",
                             ledger.public_register.version())
    return _serve(request, ledger, "accreditations.jsonld", JSONLD,
                  lambda on: open_data.jsonld_stream(head, open_data.accreditation_nodes(
                      ledger.public_register, ledger.urls, ledger.portability.operator, on)))
