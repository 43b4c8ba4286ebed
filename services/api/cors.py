"""CORS for what browsers' verifiers need and nothing else: any origin may read the public
documents (DID documents, issuer profiles, the QA body's endorsements and issuer registry,
status lists, GET /v1/verify/{id}) and POST a
document to /v1/verify or to a wallet exchange, without credentials; authenticated routes get
no CORS headers, so a page on another origin cannot read them through a visitor's browser."""

import re

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_GETS = re.compile(
    r"^(/\.well-known/did\.json|/issuers/[^/]+/did\.json|/v1/issuers/[^/]+"
    r"|/v1/issuers/[^/]+/endorsements(/[^/]+)?|/v1/issuer-registry(\.jws)?"
    r"|/v1/status-lists/[^/]+|/v1/verify/[^/]+)$")
# A wallet's VC-API exchange (ledger/wallet.py): its id is the secret, no credentials sent.
PUBLIC_POSTS = re.compile(r"^(/v1/verify|/v1/workflows/add-to-wallet/exchanges/[^/]+)$")
# Read by a verifier's script: the tag for If-None-Match, the digest of an export.
EXPOSED = ["ETag", "Cache-Control"]


class PublicCors:
    """Starlette's CORSMiddleware applied only to the public routes (per path and method)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gets = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "HEAD"],
                                   allow_headers=["If-None-Match"], expose_headers=EXPOSED,
                                   max_age=3600)
        self.posts = CORSMiddleware(app, allow_origins=["*"], allow_methods=["POST"],
                                    allow_headers=["Content-Type"], max_age=3600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if PUBLIC_GETS.match(path):
                return await self.gets(scope, receive, send)
            if PUBLIC_POSTS.match(path):
                return await self.posts(scope, receive, send)
        await self.app(scope, receive, send)
