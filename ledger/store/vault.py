"""The personal-data vault: one AES-GCM data key per learner, wrapped by the master key.

Personal data never enters events. Destroying a learner's wrapped key (erasure) makes their
vault entry unreadable for good, while the event history stays intact.
"""

import base64
import hashlib
import hmac
import os
import unicodedata
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.store.database import Cursor, Database

NONCE_BYTES = 12


def derive_key(master: bytes, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from the master key (HKDF-SHA256)."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(master)


def seal(aead: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    """nonce || AES-GCM ciphertext, bound to `aad` (the row it belongs to)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, aad)


def unseal(aead: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


class Vault:
    def __init__(self, database: Database, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the vault master key must be 32 bytes")
        self.database = database
        self._wrapping = AESGCM(derive_key(master_key, b"ledger vault key wrapping"))
        self._index_key = derive_key(master_key, b"ledger national id index")

    @staticmethod
    def decode_master_key(text: str) -> bytes:
        return base64.b64decode(text.strip())

    def national_id_digest(self, national_id: str, form: str = "NFKC") -> str:
        """A keyed blind index: lookups by national id without storing it. NFKC, so that
        full-width digits or letters find the same person (releases before this one indexed
        the NFC form: `find_by_national_id` tries it too where the two differ)."""
        normalised = unicodedata.normalize(form, national_id.strip()).upper()
        return hmac.new(self._index_key, normalised.encode(), hashlib.sha256).hexdigest()

    def find_by_national_id(self, national_id: str) -> str | None:
        digests = dict.fromkeys([self.national_id_digest(national_id),
                                 self.national_id_digest(national_id, "NFC")])
        for digest in digests:
            row = self.database.query_one(
                "SELECT learner_id FROM learner_national_ids WHERE digest = ?", (digest,))
            if row:
                return row["learner_id"]
        return None

    def seal(self, learner_id: UUID, personal: dict[str, Any]) -> tuple[bytes, bytes]:
        data_key = AESGCM.generate_key(bit_length=256)
        aad = learner_id.bytes
        wrapped = seal(self._wrapping, data_key, aad)
        return wrapped, seal(AESGCM(data_key), orjson.dumps(personal), aad)

    def write(self, cursor: Cursor, learner_id: UUID, personal: dict[str, Any]) -> None:
        """Store a learner's personal data inside the caller's transaction."""
        wrapped, sealed = self.seal(learner_id, personal)
        cursor.execute(
            "INSERT INTO learner_vault (learner_id, wrapped_key, ciphertext) VALUES (?, ?, ?)",
            (str(learner_id), wrapped, sealed),
        )
        national_id = personal.get("national_id")
        if national_id:
            cursor.execute(
                "INSERT INTO learner_national_ids (digest, learner_id) VALUES (?, ?)",
                (self.national_id_digest(national_id), str(learner_id)),
            )

    def read(self, learner_id: UUID | str) -> dict[str, Any] | None:
        row = self.database.query_one(
            "SELECT wrapped_key, ciphertext FROM learner_vault WHERE learner_id = ?",
            (str(learner_id),),
        )
        if row is None:
            return None
        aad = UUID(str(learner_id)).bytes
        wrapped, sealed = bytes(row["wrapped_key"]), bytes(row["ciphertext"])
        data_key = unseal(self._wrapping, wrapped, aad)
        return orjson.loads(unseal(AESGCM(data_key), sealed, aad))

    def destroy(self, cursor: Cursor, learner_id: UUID | str) -> None:
        """Crypto-shredding, inside the caller's transaction: the learner's wrapped data key
        goes with their vault row, and their national-id blind index with it."""
        if not self.database.postgres:
            # Deleted cells are overwritten with zeros rather than left in the file's pages.
            cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute("DELETE FROM learner_vault WHERE learner_id = ?", (str(learner_id),))
        cursor.execute("DELETE FROM learner_national_ids WHERE learner_id = ?",
                       (str(learner_id),))
