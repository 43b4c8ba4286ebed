"""Principals and their bearer tokens; only a SHA-256 digest of each token is stored."""

import hashlib
import secrets
import threading
import time
from uuid import uuid4

from ledger.domain.actors import ROLES, SCOPED_ROLES, Actor
from ledger.domain.errors import InvalidRequest
from ledger.store.database import Cursor, Database

CACHE_SECONDS = 30.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Principals:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._cache: dict[str, tuple[float, Actor | None]] = {}
        self._lock = threading.Lock()

    def create(self, role: str, scope: str | None, name: str | None) -> tuple[Actor, str]:
        if role not in ROLES:
            raise InvalidRequest(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if (role in SCOPED_ROLES) != bool(scope):
            need = "needs" if role in SCOPED_ROLES else "takes no"
            raise InvalidRequest(f"the role {role} {need} a scope")
        token = secrets.token_urlsafe(32)
        actor = Actor(principal_id=uuid4().hex, role=role, scope=scope)
        with self.database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO principals (id, token_digest, role, scope, name, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (actor.principal_id, _digest(token), role, scope, name,
                 time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            )
        return actor, token

    def cached(self, token: str) -> tuple[bool, Actor | None]:
        """(whether the token's principal is known without a query, the principal)."""
        entry = self._cache.get(_digest(token))
        if entry and time.monotonic() - entry[0] < CACHE_SECONDS:
            return True, entry[1]
        return False, None

    def remove_learner(self, cursor: Cursor, learner_id: str) -> None:
        """Erasure: the learner's own principals go (their labels may name them), in the
        caller's transaction. Other processes drop their cached entries within CACHE_SECONDS."""
        cursor.execute("DELETE FROM principals WHERE role = 'learner' AND scope = ?",
                       (learner_id,))
        with self._lock:
            for digest, (_, actor) in list(self._cache.items()):
                if actor is not None and actor.role == "learner" and actor.scope == learner_id:
                    del self._cache[digest]

    def authenticate(self, token: str) -> Actor | None:
        """The principal behind a token, cached briefly: tokens are checked on every request."""
        known, actor = self.cached(token)
        if known:
            return actor
        digest = _digest(token)
        now = time.monotonic()
        row = self.database.query_one(
            "SELECT id, role, scope FROM principals WHERE token_digest = ?", (digest,)
        )
        actor = Actor(row["id"], row["role"], row["scope"]) if row else None
        with self._lock:
            self._cache[digest] = (now, actor)
        return actor
