"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.api import answers
from services.api.deps import LedgerDep
from services.api.responses import FastJSONResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="check_liveness", response_model=answers.Health)
async def healthz():
    return FastJSONResponse({"status": "ok"})


@router.get("/readyz", operation_id="check_readiness", response_model=answers.Readiness,
            responses={503: {"model": answers.Unready,
                             "description": "The store or Kafka is unreachable"}})
def readyz(ledger: LedgerDep):
    try:
        head = ledger.head_position()
    except Exception as error:
        return JSONResponse({"status": "unavailable", "store": str(type(error).__name__)},
                            status_code=503)
    for name, check in ledger.readiness.items():  # Kafka, when configured
        try:
            check()
        except Exception as error:
            return JSONResponse({"status": "unavailable", name: str(type(error).__name__)},
                                status_code=503)
    return FastJSONResponse({"status": "ready", "store_position": head,
                             "read_position": ledger.read_position(),
                             **{name: "ok" for name in ledger.readiness}})


@router.get("/metrics", operation_id="get_metrics", response_class=Response, responses={
    200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
