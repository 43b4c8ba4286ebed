"""JSON responses rendered with orjson (a bulk answer of 10,000 results renders in a few ms),
and cacheable ones with an ETag and 304 Not Modified."""

import hashlib
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def etag_of(body: bytes) -> str:
    """A strong entity tag: the body's SHA-256 (same bytes, same tag, in any process)."""
    return f'"{hashlib.sha256(body).hexdigest()}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: If-None-Match compares weakly; `*` matches any current resource."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def cacheable(request: Request, body: bytes, media_type: str,
              cache_control: str) -> Response:
    """A body with its ETag; 304 without the body when the client's copy is current."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
