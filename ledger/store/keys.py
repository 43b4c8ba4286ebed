"""Ed25519 signing keys per owner (a provider, or "ledger" itself), private halves encrypted.

Each owner has one current key; rotation retires it but keeps its public half, so that exports
signed before the rotation still verify and can still be tied to their issuer. Private keys
are sealed with AES-GCM under a key derived from the master key, bound to their row.
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.signing import did_key
from ledger.store.database import Cursor, Database
from ledger.store.vault import derive_key, seal, unseal

LEDGER_OWNER = "ledger"
# Another process (`ledger keys rotate`) may rotate a key; a signer notices within this time.
# Signing briefly with a just-retired key is harmless: retired keys keep verifying.
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class SigningKey:
    owner: str
    key_id: str  # the verification method id, did:key:z6Mk...#z6Mk...
    did: str
    private_key: Ed25519PrivateKey
    created_at: str

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def _now() -> str:
    # Microseconds: keys made in one second (tests, scripted rotations) still sort in order.
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _aad(owner: str, key_id: str) -> bytes:
    return f"{owner}\n{key_id}".encode()


def _public_record(row: Any) -> dict[str, Any]:
    """A key as a verifier sees it: a Multikey verification method with its lifetime."""
    return {
        "id": row["key_id"], "type": "Multikey", "controller": did_key.controller_of(row["key_id"]),
        "publicKeyMultibase": row["public_key"], "owner": row["owner"],
        "created": row["created_at"], "retired": row["retired_at"],
    }


class KeyStore:
    def __init__(self, database: Database, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self.database = database
        self._sealing = AESGCM(derive_key(master_key, b"ledger signing keys"))
        self._cache: dict[str, tuple[float, SigningKey]] = {}
        self._lock = threading.Lock()

    def current(self, owner: str) -> SigningKey:
        """The owner's current key, created on first use."""
        cached = self._cache.get(owner)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        key = self._load_current(owner)
        if key is None:
            with self.database.transaction() as cursor:
                self._insert(cursor, owner, do_nothing_if_current=True)
            key = self._load_current(owner)
            assert key is not None  # inserted, or another process won the race
        return self._remember(key)

    def rotate(self, owner: str) -> SigningKey:
        """Retire the owner's current key (if any) and make a new one current."""
        with self.database.transaction() as cursor:
            cursor.execute(
                "UPDATE signing_keys SET retired_at = ? WHERE owner = ? AND retired_at IS NULL",
                (_now(), owner))
            key = self._insert(cursor, owner, do_nothing_if_current=False)
        return self._remember(key)

    def public_keys(self, owner: str) -> list[dict[str, Any]]:
        """Every key the owner has had, current and retired, oldest first."""
        rows = self.database.query(
            "SELECT key_id, owner, public_key, created_at, retired_at FROM signing_keys "
            "WHERE owner = ? ORDER BY created_at, key_id", (owner,))
        return [_public_record(row) for row in rows]

    def find(self, verification_method: str) -> dict[str, Any] | None:
        """The public record of the key a proof names, with its owner; None if not ours."""
        row = self.database.query_one(
            "SELECT key_id, owner, public_key, created_at, retired_at FROM signing_keys "
            "WHERE key_id = ?", (verification_method,))
        return _public_record(row) if row else None

    def authentic(self, owner: str) -> set[str]:
        """Ids of the owner's keys (current and retired) whose sealed private halves open under
        the master key and match their public keys: keys this ledger made, which a row written
        into the database by someone without the master key cannot imitate."""
        rows = self.database.query(
            "SELECT key_id, sealed_private_key FROM signing_keys WHERE owner = ?", (owner,))
        found = set()
        for row in rows:
            try:
                raw = unseal(self._sealing, bytes(row["sealed_private_key"]),
                             _aad(owner, row["key_id"]))
            except (InvalidTag, ValueError):
                continue
            public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
            if did_key.verification_method(public) == row["key_id"]:
                found.add(row["key_id"])
        return found

    def _remember(self, key: SigningKey) -> SigningKey:
        with self._lock:
            self._cache[key.owner] = (time.monotonic(), key)
        return key

    def _insert(self, cursor: Cursor, owner: str, *, do_nothing_if_current: bool) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        public = private.public_key()
        key = SigningKey(owner=owner, key_id=did_key.verification_method(public),
                         did=did_key.did(public), private_key=private, created_at=_now())
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        conflict = " ON CONFLICT DO NOTHING" if do_nothing_if_current else ""
        cursor.execute(
            "INSERT INTO signing_keys (key_id, owner, public_key, sealed_private_key, "
            f"created_at) VALUES (?, ?, ?, ?, ?){conflict}",
            (key.key_id, owner, did_key.multikey(public),
             seal(self._sealing, raw, _aad(owner, key.key_id)), key.created_at))
        return key

    def _load_current(self, owner: str) -> SigningKey | None:
        row = self.database.query_one(
            "SELECT key_id, sealed_private_key, created_at FROM signing_keys "
            "WHERE owner = ? AND retired_at IS NULL", (owner,))
        if row is None:
            return None
        raw = unseal(self._sealing, bytes(row["sealed_private_key"]), _aad(owner, row["key_id"]))
        private = Ed25519PrivateKey.from_private_bytes(raw)
        return SigningKey(owner=owner, key_id=row["key_id"],
                          did=did_key.controller_of(row["key_id"]), private_key=private,
                          created_at=row["created_at"])
