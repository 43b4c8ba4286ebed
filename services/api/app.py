"""The API's app factory: the one place where the HTTP layer is assembled."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ledger import __version__
from ledger.application import Ledger
from services.api import errors
from services.api.responses import FastJSONResponse
from services.api.routers import (
    audit,
    credentials,
    erasure,
    operations,
    organisations,
    portability,
    reading,
)
from services.api.telemetry import RequestTelemetry

log = logging.getLogger("ledger.api")


def create_app(ledger: Ledger, *, close_on_shutdown: bool = False) -> FastAPI:
    """An app over a ledger built by ledger.bootstrap; with close_on_shutdown the app drains
    and closes it when the server shuts down (uvicorn's graceful SIGTERM/SIGINT path)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ledger = ledger
        yield
        if close_on_shutdown:
            ledger.close()
            log.info("ledger closed: every accepted write was committed")

    app = FastAPI(title="Learner Record Ledger", version=__version__, lifespan=lifespan,
                  default_response_class=FastJSONResponse,
                  description="A national, event-sourced ledger of micro-credentials.")
    app.state.ledger = ledger
    errors.install(app)
    for router in (organisations.router, credentials.router, reading.router, operations.router,
                   erasure.router):
        app.include_router(router)
    app.include_router(audit.router)
    app.include_router(portability.router)
    app.add_middleware(RequestTelemetry)
    return app
