"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.api.deps import LedgerDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz():
    return {"status": "ok"}


@router.get("/readyz")
def readyz(ledger: LedgerDep):
    try:
        head = ledger.app.recorder.max_notification_id() or 0
    except Exception as error:
        return JSONResponse({"status": "unavailable", "store": str(type(error).__name__)},
                            status_code=503)
    for name, check in ledger.readiness.items():  # Kafka, when configured
        try:
            check()
        except Exception as error:
            return JSONResponse({"status": "unavailable", name: str(type(error).__name__)},
                                status_code=503)
    return {"status": "ready", "store_position": head, "read_position": ledger.read_position(),
            **{name: "ok" for name in ledger.readiness}}


@router.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
