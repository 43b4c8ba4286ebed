"""Principals and their bearer tokens; only a SHA-256 digest of each token is stored.

A token may expire (`expires_at`) and be revoked (`revoked_at`); each API process remembers
what a token resolved to for at most CACHE_SECONDS, so a revocation is refused by every process
within that time. The memory is bounded: a flood of unknown tokens cannot grow it."""

import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from cachetools import TTLCache

from ledger.domain.actors import ROLES, SCOPED_ROLES, Actor
from ledger.domain.errors import Conflict, InvalidRequest, NotFound
from ledger.store.database import Cursor, Database

CACHE_SECONDS = 30.0
CACHE_ENTRIES = 10_000


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Principals:
    def __init__(self, database: Database) -> None:
        self.database = database
        # digest -> (the principal or None, when that answer stops holding: its expiry)
        self._cache: TTLCache[str, tuple[Actor | None, str | None]] = TTLCache(
            maxsize=CACHE_ENTRIES, ttl=CACHE_SECONDS)
        self._lock = threading.Lock()

    def create(self, role: str, scope: str | None, name: str | None,
               valid_for: timedelta | None = None) -> tuple[Actor, str]:
        """A principal and its token (valid for `valid_for`, else until revoked)."""
        if role not in ROLES:
            raise InvalidRequest(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if (role in SCOPED_ROLES) != bool(scope):
            need = "needs" if role in SCOPED_ROLES else "takes no"
            raise InvalidRequest(f"the role {role} {need} a scope")
        if valid_for is not None and valid_for <= timedelta(0):
            raise InvalidRequest("a token must be valid for some time")
        token = secrets.token_urlsafe(32)
        actor = Actor(principal_id=uuid4().hex, role=role, scope=scope)
        now = datetime.now(UTC)
        expires = _stamp(now + valid_for) if valid_for is not None else None
        with self.database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO principals (id, token_digest, role, scope, name, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (actor.principal_id, _digest(token), role, scope, name, _stamp(now), expires),
            )
        return actor, token

    def list(self) -> list[dict[str, Any]]:
        """Every principal (never a token or its digest), oldest first."""
        rows = self.database.query(
            "SELECT id, role, scope, name, created_at, expires_at, revoked_at FROM principals "
            "ORDER BY created_at, id")
        return [dict(row) for row in rows]

    def revoke(self, principal_id: str) -> None:
        """The principal's token is refused from now on here, and by every other process
        within CACHE_SECONDS."""
        with self.database.transaction() as cursor:
            cursor.execute("UPDATE principals SET revoked_at = ? WHERE id = ? AND "
                           "revoked_at IS NULL", (_stamp(datetime.now(UTC)), principal_id))
        row = self.database.query_one("SELECT revoked_at FROM principals WHERE id = ?",
                                      (principal_id,))
        if row is None:
            raise NotFound(f"principal {principal_id} not found")
        with self._lock:
            for digest, (actor, _) in list(self._cache.items()):
                if actor is not None and actor.principal_id == principal_id:
                    del self._cache[digest]

    def cached(self, token: str) -> tuple[bool, Actor | None]:
        """(whether the token's principal is known without a query, the principal)."""
        with self._lock:
            entry = self._cache.get(_digest(token))
        if entry is None:
            return False, None
        actor, expires = entry
        if expires is not None and expires <= _stamp(datetime.now(UTC)):
            return True, None
        return True, actor

    def bind(self, principal_id: str, issuer: str, subject: str) -> None:
        """Binds an OpenID Provider's subject to a principal: who signs in as that subject
        acts as it. Binding it again to the same principal changes nothing."""
        if not issuer or not subject:
            raise InvalidRequest("an issuer and a subject are needed")
        if self.database.query_one("SELECT id FROM principals WHERE id = ?",
                                   (principal_id,)) is None:
            raise NotFound(f"principal {principal_id} not found")
        bound = self.database.query_one(
            "SELECT principal_id FROM principal_subjects WHERE issuer = ? AND subject = ?",
            (issuer, subject))
        if bound is not None:
            if bound["principal_id"] != principal_id:
                raise Conflict(f"that subject of {issuer} is bound to another principal")
            return
        with self.database.transaction() as cursor:
            cursor.execute("INSERT INTO principal_subjects (issuer, subject, principal_id, "
                           "bound_at) VALUES (?, ?, ?, ?)",
                           (issuer, subject, principal_id, _stamp(datetime.now(UTC))))

    def bound_to(self, issuer: str, subject: str) -> str | None:
        """The id of the principal an OpenID Provider's subject is bound to, if any."""
        row = self.database.query_one(
            "SELECT principal_id FROM principal_subjects WHERE issuer = ? AND subject = ?",
            (issuer, subject))
        return row["principal_id"] if row else None

    def live(self, principal_id: str) -> dict[str, Any] | None:
        """A principal that may act now (neither revoked nor expired): id, role, scope,
        name; None otherwise. Sessions of the pages are checked against it on every request."""
        row = self.database.query_one(
            "SELECT id, role, scope, name, expires_at FROM principals WHERE id = ? "
            "AND revoked_at IS NULL", (principal_id,))
        if row is None or (row["expires_at"] and row["expires_at"] <= _stamp(datetime.now(UTC))):
            return None
        return {k: row[k] for k in ("id", "role", "scope", "name")}

    def remove_learner(self, cursor: Cursor, learner_id: str) -> None:
        """Erasure: the learner's own principals go (their labels may name them), with the
        OpenID subjects bound to them, in the caller's transaction. Other processes drop
        their cached entries within CACHE_SECONDS."""
        cursor.execute("DELETE FROM principal_subjects WHERE principal_id IN (SELECT id FROM "
                       "principals WHERE role = 'learner' AND scope = ?)", (learner_id,))
        cursor.execute("DELETE FROM principals WHERE role = 'learner' AND scope = ?",
                       (learner_id,))
        with self._lock:
            for digest, (actor, _) in list(self._cache.items()):
                if actor is not None and actor.role == "learner" and actor.scope == learner_id:
                    del self._cache[digest]

    def authenticate(self, token: str) -> Actor | None:
        """The principal behind a token, if it is neither revoked nor expired; remembered
        briefly, since tokens are checked on every request."""
        known, actor = self.cached(token)
        if known:
            return actor
        digest = _digest(token)
        row = self.database.query_one(
            "SELECT id, role, scope, expires_at FROM principals WHERE token_digest = ? "
            "AND revoked_at IS NULL", (digest,)
        )
        expires = row["expires_at"] if row else None
        live = row is not None and (expires is None or expires > _stamp(datetime.now(UTC)))
        actor = Actor(row["id"], row["role"], row["scope"]) if live else None
        with self._lock:
            self._cache[digest] = (actor, expires)
        return actor
