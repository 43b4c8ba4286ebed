"""Ed25519 signing keys per owner (a provider, "qa-body" or "ledger" itself), private halves
encrypted.

Each owner has one current key; rotation retires it but keeps its public half, so that exports
signed before the rotation still verify and can still be tied to their issuer. Private keys
are sealed with AES-GCM under a key derived from the master key, bound to their row.

A key's row id is its did:key verification method (how keys were first named); outside the
store every key is a verification method of its owner's did:web DID, `<DID>#<multikey>`
(ledger.urls), which the owner's DID document lists, retired keys included.
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
from ledger.urls import PublicUrls

LEDGER_OWNER = "ledger"
# Another process (`ledger keys rotate`) may rotate a key; a signer notices within this time.
# Signing briefly with a just-retired key is harmless: retired keys keep verifying.
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class SigningKey:
    owner: str
    key_id: str  # the row's id: did:key:z6Mk...#z6Mk...
    did: str  # the owner's did:web DID
    verification_method: str  # what proofs name: <DID>#z6Mk...
    private_key: Ed25519PrivateKey
    created_at: str

    @property
    def multikey(self) -> str:
        return did_key.multikey(self.private_key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def _now() -> str:
    # Microseconds: keys made in one second (tests, scripted rotations) still sort in order.
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _aad(owner: str, key_id: str) -> bytes:
    return f"{owner}\n{key_id}".encode()


_PUBLIC_COLUMNS = "key_id, owner, public_key, created_at, retired_at"


class KeyStore:
    def __init__(self, database: Database, master_key: bytes, urls: PublicUrls) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self.database = database
        self.urls = urls
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
            f"SELECT {_PUBLIC_COLUMNS} FROM signing_keys WHERE owner = ? "
            "ORDER BY created_at, key_id", (owner,))
        return [self._public_record(row) for row in rows]

    def find(self, verification_method: str) -> dict[str, Any] | None:
        """The public record of the key a proof names (`<our DID>#<multikey>`, or the row's
        did:key id), with its owner; None if not ours."""
        owner = self.urls.owner_of_did(verification_method)
        if owner is not None and "#" in verification_method:
            row = self.database.query_one(
                f"SELECT {_PUBLIC_COLUMNS} FROM signing_keys WHERE owner = ? AND public_key = ?",
                (owner, verification_method.split("#", 1)[1]))
        else:
            row = self.database.query_one(
                f"SELECT {_PUBLIC_COLUMNS} FROM signing_keys WHERE key_id = ?",
                (verification_method,))
        return self._public_record(row) if row else None

    def _public_record(self, row: Any) -> dict[str, Any]:
        """A key as a verifier sees it: a Multikey verification method of its owner's DID,
        with its lifetime (and `key_id`, the row's own id)."""
        owner = row["owner"]
        return {
            "id": self.urls.verification_method(owner, row["public_key"]), "type": "Multikey",
            "controller": self.urls.did(owner), "publicKeyMultibase": row["public_key"],
            "owner": owner, "created": row["created_at"], "retired": row["retired_at"],
            "key_id": row["key_id"],
        }

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
        key = self._signing_key(owner, did_key.verification_method(public), private, _now())
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
        return self._signing_key(owner, row["key_id"], Ed25519PrivateKey.from_private_bytes(raw),
                                 row["created_at"])

    def _signing_key(self, owner: str, key_id: str, private: Ed25519PrivateKey,
                     created_at: str) -> SigningKey:
        multikey = did_key.multikey(private.public_key())
        return SigningKey(owner=owner, key_id=key_id, did=self.urls.did(owner),
                          verification_method=self.urls.verification_method(owner, multikey),
                          private_key=private, created_at=created_at)
