"""Every error leaves the API as RFC 9457 problem+json; the mapping lives here alone."""

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from ledger.application import NotCaughtUp
from ledger.canonical_pool import VerifierBusy, VerifierUnavailable
from ledger.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidRequest,
    LedgerError,
    NotFound,
    RuleViolation,
    Unauthenticated,
)
from ledger.read_wait import BeyondHead
from ledger.standards import StandardsMissing
from ledger.wallet import ExchangeClosed

log = logging.getLogger(__name__)

STATUS = {Unauthenticated: 401, NotFound: 404, RuleViolation: 409, Conflict: 409,
          Forbidden: 403, Gone: 410, InvalidRequest: 422, StandardsMissing: 503, BeyondHead: 400,
          VerifierBusy: 429, VerifierUnavailable: 503, ExchangeClosed: 410}
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": f"https://ledger.example/problems/{title.lower().replace(' ', '-')}",
            "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


# The pages' error page: (request, status, title, detail) -> an HTML response, or None when
# the request is not for a page. The status and wording are decided here all the same.
PageErrors = Callable[[Request, int, str, str], Response | None]


def install(app: FastAPI, pages: PageErrors | None = None) -> None:
    def answer(request: Request, status: int, title: str, detail: str,
               **extra: object) -> Response:
        page = pages(request, status, title, detail) if pages else None
        return page if page is not None else problem(status, title, detail, **extra)

    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, error: LedgerError) -> Response:
        status = next((s for cls, s in STATUS.items() if isinstance(error, cls)), 400)
        extra = {"head": error.head} if isinstance(error, BeyondHead) else {}
        response = answer(request, status, error.title, error.detail, **extra)
        if isinstance(error, VerifierBusy | VerifierUnavailable):
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, error: RecursionError) -> Response:
        # Input nested past what a parser can follow: the caller's fault, one log line.
        log.warning("%s %s: input nested too deeply (%s)", request.method, request.url.path,
                    error)
        return answer(request, 422, "Invalid request",
                      "the input is nested too deeply to be parsed")

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"location": list(e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in error.errors()
        ]
        first = errors[0] if errors else {"location": [], "message": "invalid request"}
        where = ".".join(str(part) for part in first["location"])
        if first.get("type") == "json_invalid":  # a parser failure: one line, no traceback
            log.warning("%s %s: the body is not JSON (%s)", request.method, request.url.path,
                        first["message"])
        return answer(request, 422, "Invalid request", f"{where}: {first['message']}",
                      errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 400:  # FastAPI could not parse the body (deep nesting...)
            log.warning("%s %s: %s (%s)", request.method, request.url.path, error.detail,
                        error.__cause__ or "")
        response = answer(request, error.status_code, _title(error.status_code),
                          str(error.detail))
        if error.headers:
            response.headers.update(error.headers)
        return response

    @app.exception_handler(NotCaughtUp)
    async def not_caught_up(_: Request, error: NotCaughtUp) -> JSONResponse:
        response = problem(503, "Not caught up", str(error))
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return problem(500, "Internal error", "the ledger failed to handle this request")


def _title(status: int) -> str:
    return {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
            405: "Method not allowed", 409: "Conflict", 410: "Gone", 413: "Too large",
            429: "Too many requests",
            415: "Unsupported media type",
            422: "Invalid request", 503: "Unavailable"}.get(status, "Error")
