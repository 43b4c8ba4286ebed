"""Request bodies over a documented limit are refused with 413 while they stream, before any
parsing or authentication: the declared Content-Length is checked first, then the bytes that
actually arrive are counted (a chunked body declares none)."""

from collections.abc import Callable

from services.api.errors import problem

DEFAULT_LIMIT = 2 * 1024 * 1024  # every request body: 2 MiB
# Larger limits by (method, path): bulk issuance carries up to 10,000 items.
# The verify page's form: the document's 2 MiB and the multipart boundaries and headers.
LIMITS = {("POST", "/v1/credentials/bulk"): 16 * 1024 * 1024,
          ("POST", "/verify"): DEFAULT_LIMIT + 64 * 1024}
# Routes that refuse an over-limit declared Content-Length themselves, without reading the body
# (the verify page answers with its form and the reason); bytes that arrive are still counted.
OWN_REFUSAL = {("POST", "/verify")}


def _route(method: str, path: str) -> tuple[str, str]:
    return method, path.rstrip("/") or "/"


def limit_for(method: str, path: str) -> int:
    return LIMITS.get(_route(method, path), DEFAULT_LIMIT)


class BodyLimitMiddleware:
    """Pure ASGI: reads the body up to the route's limit, then hands it to the app."""

    def __init__(self, app, limit: Callable[[str, str], int] = limit_for) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared == -1:
            return await problem(400, "Bad request", "Content-Length is not a number")(
                scope, receive, send)
        if declared is not None and declared > limit:
            if _route(scope["method"], scope["path"]) in OWN_REFUSAL:
                return await self.app(scope, receive, send)
            return await _too_large(limit)(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return await self.app(scope, replay([], message, receive), send)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _too_large(limit)(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, replay([body], None, receive), send)


def _content_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else -1
    return None


def _too_large(limit: int):
    return problem(413, "Too large", f"the request body exceeds this endpoint's limit of "
                   f"{limit} bytes (see the API documentation)", limit=limit)


def replay(messages: list[dict], last: dict | None, receive):
    """A receive that gives the buffered body first, then whatever the server sends."""
    pending = [*messages, *([last] if last else [])]

    async def replayed():
        if pending:
            return pending.pop(0)
        return await receive()
    return replayed
