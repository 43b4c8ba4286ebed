"""The API's app factory: the one place where the HTTP layer is assembled."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from ledger import __version__
from ledger.application import Ledger
from ledger.config import Settings
from services import web
from services.api import errors, openapi
from services.api.body_limit import BodyLimitMiddleware
from services.api.cors import PublicCors
from services.api.private_responses import PrivateResponses
from services.api.responses import FastJSONResponse
from services.api.routers import (
    accreditation,
    audit,
    certificates,
    credentials,
    dids,
    disclosures,
    erasure,
    open_data,
    operations,
    organisations,
    portability,
    reading,
    register,
    shared,
    sharing,
    wallet,
)
from services.api.telemetry import RequestTelemetry
from services.api.verifier import Verifier
from services.api.write_lane import WriteLane

log = logging.getLogger("ledger.api")

NO_OPEN_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(ledger: Ledger, *, close_on_shutdown: bool = False,
               settings: Settings | None = None) -> FastAPI:
    """An app over a ledger built by ledger.bootstrap; with close_on_shutdown the app drains
    and closes it when the server shuts down (uvicorn's graceful SIGTERM/SIGINT path). The
    settings configure the pages' sign-in (default: from the environment)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ledger = ledger
        yield
        app.state.verifier.close()
        if close_on_shutdown:
            ledger.close()
            log.info("ledger closed: every accepted write was committed")

    # FastAPIOffline: the /docs and /redoc pages load their scripts from this server, no CDN.
    app = FastAPIOffline(title="Learner Record Ledger", version=__version__, lifespan=lifespan,
                         default_response_class=FastJSONResponse, static_url="/static/docs",
                         # Metrics and logs are the ledger's own (services/api/telemetry.py):
                         # FastAPI's OpenTelemetry hooks would only probe the environment on
                         # every request for providers that are never configured.
                         telemetry=NO_OPEN_TELEMETRY,
                         generate_unique_id_function=openapi.operation_id,
                         description="A national, event-sourced ledger of micro-credentials.\n\n"
                         "Request bodies: at most 2 MiB (POST /v1/credentials/bulk: 16 MiB), else "
                         "413 before parsing or authentication. `min_position` beyond the store's "
                         "head: 400 naming the head. POST /v1/verify: see its responses for the "
                         "limits.")
    app.state.ledger = ledger
    app.state.verifier = Verifier(ledger)  # its worker processes start on first use
    errors.install(app, pages=web.page_errors)
    openapi.install(app)
    for router in (organisations.router, credentials.router, reading.router,
                   register.router, operations.router,
                   erasure.router):
        app.include_router(router)
    app.include_router(audit.router)
    app.include_router(portability.router)
    app.include_router(dids.router)
    # Innermost of the app's own middleware: the write routes skip only FastAPI's machinery.
    app.add_middleware(WriteLane, api=app)
    app.add_middleware(BodyLimitMiddleware)
    app.include_router(accreditation.router)
    app.add_middleware(PublicCors)
    app.include_router(certificates.router)
    app.include_router(open_data.router)
    app.include_router(wallet.router)
    for router in (sharing.router, disclosures.router, shared.router):
        app.include_router(router)
    web.install(app, settings or Settings())
    app.add_middleware(PrivateResponses)
    app.add_middleware(RequestTelemetry)
    return app
