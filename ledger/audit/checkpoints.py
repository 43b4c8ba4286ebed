"""Signed checkpoints: the ledger's own Ed25519 key signs the chain head every N positions and
on demand, so that anyone holding a copy can later detect a rewritten history offline.

The signed message is

    b"ledger-checkpoint-v1" || position (8 bytes, unsigned, big-endian)
                            || chain hash (32 bytes)
                            || signed_at (8 bytes, signed, big-endian, microseconds since
                               1970-01-01T00:00Z)

and the signature is plain Ed25519 (RFC 8032) over those 68 bytes. The key is named by its
verification method, `did:key:z6Mk...#z6Mk...`: the public key is inside the identifier, so a
checkpoint verifies with no network and no access to the ledger.
"""

import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from ledger.domain.errors import RuleViolation
from ledger.signing import did_key
from ledger.store import chain
from ledger.store.database import Database
from ledger.store.keys import LEDGER_OWNER, KeyStore

log = logging.getLogger(__name__)

TABLE = "audit_checkpoints"
DOMAIN = b"ledger-checkpoint-v1"
MESSAGE_FORMAT = ("Ed25519 over b'ledger-checkpoint-v1' || position (uint64 BE) || chain_hash "
                  "(32 bytes) || signed_at (int64 BE, microseconds since the Unix epoch)")
_FIELDS = struct.Struct(">Q32sq")
_COLUMNS = "position, chain_hash, signed_at, key_id, signature"


@dataclass(frozen=True)
class Checkpoint:
    position: int
    chain_hash: bytes
    signed_at: int
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return DOMAIN + _FIELDS.pack(self.position, self.chain_hash, self.signed_at)

    def signature_valid(self) -> bool:
        """The signature checks out under the key its `key_id` names (whoever holds it)."""
        try:
            did_key.public_key_of(self.key_id).verify(self.signature, self.message())
        except (InvalidSignature, did_key.NotAnEd25519DidKey, ValueError):
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "chain_hash": self.chain_hash.hex(),
                "signed_at": chain.from_micros(self.signed_at), "key_id": self.key_id,
                "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "Checkpoint":
        signed_at = datetime.fromisoformat(doc["signed_at"].replace("Z", "+00:00"))
        return cls(int(doc["position"]), bytes.fromhex(doc["chain_hash"]),
                   chain.micros(signed_at), doc["key_id"], bytes.fromhex(doc["signature"]))

    @classmethod
    def from_row(cls, row: Any) -> "Checkpoint":
        return cls(int(row["position"]), bytes(row["chain_hash"]), int(row["signed_at"]),
                   row["key_id"], bytes(row["signature"]))


def select_all() -> str:
    return f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY position"


class Checkpoints:
    """Signs chain heads with the ledger's key and keeps them in `audit_checkpoints`."""

    def newest_age_seconds(self) -> float | None:
        """Seconds since the newest checkpoint was signed; None when there is none."""
        row = self.database.query_one(
            f"SELECT signed_at FROM {TABLE} ORDER BY position DESC LIMIT 1")
        return None if row is None else (chain.now_micros() - int(row["signed_at"])) / 1e6

    def __init__(self, database: Database, keys: KeyStore, every: int) -> None:
        self.database = database
        self.keys = keys
        self.every = every
        self._last = self._last_position()

    def create(self) -> Checkpoint:
        """Sign the chain head now; an existing checkpoint of the same head is returned."""
        row = self.database.query_one(chain.HEAD_SQL)
        head = chain.Head.from_row(row)
        if head.position == 0:
            raise RuleViolation("the store holds no events yet: there is no head to sign")
        key = self.keys.current(LEDGER_OWNER)
        unsigned = Checkpoint(head.position, head.chain_hash, chain.now_micros(), key.key_id, b"")
        signed = Checkpoint(head.position, head.chain_hash, unsigned.signed_at, key.key_id,
                            key.sign(unsigned.message()))
        with self.database.transaction() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT (position) DO NOTHING",
                           (signed.position, signed.chain_hash, signed.signed_at,
                            signed.key_id, signed.signature))
        self._last = max(self._last, head.position)
        stored = self.database.query_one(f"SELECT {_COLUMNS} FROM {TABLE} WHERE position = ?",
                                         (head.position,))
        return Checkpoint.from_row(stored)

    def after_commit(self, position: int) -> None:
        """Called after each append: sign the head once it is `every` positions past the last
        checkpoint (any process may have written that one)."""
        if self.every <= 0 or position - self._last < self.every:
            return
        self._last = self._last_position()
        if position - self._last < self.every:
            return
        try:
            self.create()
        except Exception:  # the append is committed; a missed checkpoint is retried next time
            log.exception("could not write a checkpoint at position %d", position)

    def all(self) -> list[Checkpoint]:
        return [Checkpoint.from_row(row) for row in self.database.query(select_all())]

    def trusted_keys(self) -> set[str]:
        return self.keys.authentic(LEDGER_OWNER)

    def document(self) -> dict[str, Any]:
        """What GET /v1/audit/checkpoints serves: everything needed to check them offline."""
        authentic = self.trusted_keys()  # never publish a key row planted in the database
        return {"algorithm": "Ed25519", "message": MESSAGE_FORMAT,
                "public_keys": [_by_key_id(k) for k in self.keys.public_keys(LEDGER_OWNER)
                                if k["key_id"] in authentic],
                "checkpoints": [c.as_json() for c in self.all()]}

    def _last_position(self) -> int:
        row = self.database.query_one(f"SELECT MAX(position) AS top FROM {TABLE}")
        return int(row["top"] or 0) if row else 0


def _by_key_id(key: dict[str, Any]) -> dict[str, Any]:
    """A key as checkpoints name it: by its did:key, which does not change with the ledger's
    public URL (its did:web verification method beside it)."""
    return {**key, "id": key["key_id"], "controller": did_key.controller_of(key["key_id"]),
            "verification_method": key["id"]}


def load(documents: Iterable[dict[str, Any]]) -> list[Checkpoint]:
    """Checkpoints from copies of GET /v1/audit/checkpoints held outside the ledger."""
    return [Checkpoint.from_json(c) for doc in documents for c in doc.get("checkpoints", [])]
