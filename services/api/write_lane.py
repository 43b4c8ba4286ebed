"""The write lane: the API's write routes served without FastAPI's per-request machinery.

Every write route has one shape, `(body: SomeIn, writer: Writer)` plus plain `str` path
parameters, and answers with the Response that `Writes.run` builds. For such a route FastAPI's
dependency solving, its route scan and its inner middleware layers cost more than the command
itself: on the 2-core reference machine they were 1.1 ms of the 2.0 ms of CPU an issuance took
in the API process (`bench/issuance.py`: 412 -> 906 credentials/s with this lane, same run).

The lane is an ASGI middleware inside the app's own (telemetry, private-response headers,
CORS, body limit), so those apply unchanged. It serves a request itself only when FastAPI would
have accepted it: a route of that shape matched first among the API's routes, a JSON body that
validates against the route's model, a bearer token whose principal is already cached as live,
and an Idempotency-Key within its documented length. Everything else (a bad body, an unknown
or revoked token, another content type) goes on to FastAPI with the body replayed, so every
refusal is FastAPI's own. The endpoint function is the same one FastAPI documents and would
call, and its exceptions go to the app's own exception handlers.
"""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import orjson
from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.routing import iter_route_contexts
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.api.body_limit import replay
from services.api.deps import IDEMPOTENCY_KEY_LIMIT, Writes, writes

PREFIX = "/v1/"
_JSON = re.compile(rb"^application/json\s*(;.*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LaneRoute:
    """A POST route under /v1, in FastAPI's order; `body` is None when the lane cannot serve
    it (FastAPI does)."""
    route: Any
    path_regex: re.Pattern
    param_convertors: dict
    endpoint: Callable[..., Any] | None = None
    body_name: str = ""
    body: type[BaseModel] | None = None
    writer_name: str = ""


def _is_writer(hint: Any) -> bool:
    if get_origin(hint) is not Annotated:
        return False
    base, *metadata = get_args(hint)
    return base is Writes and any(isinstance(m, Depends) and m.dependency is writes
                                  for m in metadata)


def lane_route(context: Any) -> LaneRoute:
    """What the lane knows of one route: how to serve it, if it has the write routes' shape."""
    route = LaneRoute(context.original_route, context.path_regex, context.param_convertors)
    endpoint = context.endpoint
    if endpoint is None or not inspect.iscoroutinefunction(endpoint):
        return route
    hints = get_type_hints(endpoint, include_extras=True)
    body, writer = [], []
    for name, parameter in inspect.signature(endpoint).parameters.items():
        hint = hints.get(name)
        required = parameter.default is inspect.Parameter.empty
        if _is_writer(hint):
            writer.append(name)
        elif (required and isinstance(hint, type) and issubclass(hint, BaseModel)
              and name not in context.param_convertors):
            body.append((name, hint))
        elif not (hint is str and required and name in context.param_convertors):
            return route  # anything else (queries, constrained or optional parameters)
    if len(body) != 1 or len(writer) != 1:
        return route
    (body_name, model), = body
    return LaneRoute(route.route, route.path_regex, route.param_convertors, endpoint,
                     body_name, model, writer[0])


class WriteLane:
    """ASGI middleware; `api` is the FastAPI app whose routes and handlers it uses."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self._routes: list[LaneRoute] | None = None

    @property
    def routes(self) -> list[LaneRoute]:
        """The API's POST routes under /v1, in matching order (built on first use, when every
        router is included)."""
        if self._routes is None:
            self._routes = [lane_route(c) for c in iter_route_contexts(self.api.routes)
                            if getattr(c, "path", "").startswith(PREFIX)
                            and "POST" in (c.methods or ())]
        return self._routes

    def serves(self, path: str) -> bool:
        """Whether a POST to `path` is served by the lane (given a valid request)."""
        matched = self._match(path)
        return matched is not None and matched[0].body is not None

    def _match(self, path: str) -> tuple[LaneRoute, dict[str, Any]] | None:
        for route in self.routes:
            found = route.path_regex.match(path)
            if found:
                return route, {k: route.param_convertors[k].convert(v)
                               for k, v in found.groupdict().items()}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path")
                or not scope["path"].startswith(PREFIX)):
            return await self.app(scope, receive, send)
        matched = self._match(scope["path"])
        if matched is None or matched[0].body is None:
            return await self.app(scope, receive, send)
        route, path_params = matched
        headers = _headers(scope)
        actor = self._cached_actor(headers.get(b"authorization"))
        key = headers.get(b"idempotency-key")
        if (actor is None or not _JSON.match(headers.get(b"content-type", b""))
                or (key is not None and len(key) > IDEMPOTENCY_KEY_LIMIT)):
            return await self.app(scope, receive, send)
        raw, ended = await _read_body(receive)
        if ended is not None:  # the client went away mid-body
            return await self.app(scope, replay([_message(raw, True)], ended, receive), send)
        try:
            body = route.body.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValidationError, RecursionError):
            return await self.app(scope, replay([_message(raw)], None, receive), send)
        scope["route"], scope["endpoint"] = route.route, route.endpoint
        scope["path_params"] = path_params
        request = Request(scope, replay([_message(raw)], None, receive))
        writer = Writes(self.api.state.ledger, actor, request,
                        key.decode("latin-1") if key is not None else None)
        try:
            response = await route.endpoint(**path_params, **{route.body_name: body,
                                                              route.writer_name: writer})
        except Exception as error:
            handler = self._handler(error)
            if handler is None:
                raise  # to the server-error middleware, as FastAPI would
            response = await handler(request, error)
        await response(scope, receive, send)

    def _cached_actor(self, authorization: bytes | None):
        if not authorization:
            return None
        scheme, token = get_authorization_scheme_param(authorization.decode("latin-1"))
        if scheme.lower() != "bearer" or not token:
            return None
        known, actor = self.api.state.ledger.principals.cached(token)
        return actor if known else None

    def _handler(self, error: Exception):
        for kind in type(error).__mro__:
            if kind is Exception:
                return None
            handler = self.api.exception_handlers.get(kind)
            if handler is not None:
                return handler
        return None


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The first value of each header, as FastAPI's Header() and HTTPBearer read them."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


async def _read_body(receive: Receive) -> tuple[bytes, dict | None]:
    """The body, and the message that ended it early (a disconnect), if one did."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _message(body: bytes, more: bool = False) -> dict:
    return {"type": "http.request", "body": body, "more_body": more}
