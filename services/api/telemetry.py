"""Per-request telemetry (pure ASGI, cheap per request): a request id (the caller's
`X-Request-ID` when it is a plain token, else a new one) echoed in the response and set on every
log line of the request, Prometheus counters and latency by route template, and one access log
line: method, route template, status, duration, request id. Never the raw path or the query
string, which can carry ids and personal data."""

import logging
import os
import re
import time

from ledger.logs import request_id
from ledger.metrics import LATENCY, REQUESTS

access_log = logging.getLogger("ledger.access")

HEADER = b"x-request-id"
_TOKEN = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


def _incoming(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER and _TOKEN.match(value):
            return value.decode("ascii")
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


class RequestTelemetry:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        rid = _incoming(scope)
        token = request_id.set(rid)
        status = {"code": 500}

        async def capture(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            seconds = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], template, status["code"]).inc()
            LATENCY.labels(scope["method"], template).observe(seconds)
            access_log.info("%s %s %d", scope["method"], template, status["code"], extra={
                "method": scope["method"], "route": template, "status": status["code"],
                "duration_ms": round(seconds * 1000, 3), "request_id": rid})
            request_id.reset(token)
