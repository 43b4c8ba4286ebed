"""Share links: a learner's revocable, expiring links to chosen credentials or the whole CLR.

Why a table (migration 5) and not events: a link is a bearer secret, and its audience label is
the learner's own free text. Neither may enter the events, which are immutable, published on
Kafka and kept forever: a secret there would open the link to every consumer of the topic, and
a label naming a person could never be erased. So a link is a row, written through the group
committer in its own transaction, revoked by setting `revoked_at`, and deleted with the
learner's personal data on erasure. The row holds only a keyed digest of the secret
(HMAC-SHA256 under a key derived from the master key, as ledger/store/request_hashes.py does
for request bodies): someone who reads the table cannot open a link, nor test guesses
against it without the master key. The secret itself (256 random bits) is shown once, to the
learner who made the link, and is never stored or logged. Reads through a link are recorded
in the disclosure log (ledger/store/disclosures.py) under the link's id.

The learner's free text (a link's audience label, a grant's note) may name people, so it is
stored sealed (AES-GCM under a key derived from the master key, bound to its row's id), like
the vault's personal data, and deleted with the learner's rows on erasure.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.store.database import Cursor, Database
from ledger.store.vault import derive_key, seal, unseal

SECRET_BYTES = 32  # 256 bits, base64url: 43 characters
MAX_SECRET_LENGTH = 64


@dataclass(frozen=True)
class ShareLink:
    id: str
    learner_id: str
    credential_ids: list[str] | None  # None: the whole CLR
    audience: str
    created_at: str
    expires_at: str
    revoked_at: str | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if datetime.fromisoformat(self.expires_at) <= now:
            return "expired"
        return "active"

    def public(self, now: datetime) -> dict[str, Any]:
        """The link as its learner lists it (never its secret)."""
        return {"id": self.id, "learner_id": self.learner_id,
                "credential_ids": self.credential_ids, "whole_record": self.credential_ids is None,
                "audience": self.audience, "created_at": self.created_at,
                "expires_at": self.expires_at, "revoked_at": self.revoked_at,
                "state": self.state(now)}


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


class ShareLinks:
    def __init__(self, database: Database, master_key: bytes) -> None:
        self.database = database
        self._key = derive_key(master_key, b"ledger share links")
        self._aead = AESGCM(derive_key(master_key, b"ledger sharing free text"))

    def _seal(self, text: str, row_id: str) -> str:
        return base64.b64encode(seal(self._aead, text.encode(), row_id.encode())).decode()

    def _open(self, sealed: str, row_id: str) -> str:
        return unseal(self._aead, base64.b64decode(sealed), row_id.encode()).decode()

    def digest(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).hexdigest()

    def insert(self, cursor: Cursor, link: ShareLink, secret: str) -> None:
        ids = orjson.dumps(link.credential_ids).decode() if link.credential_ids is not None \
            else None
        cursor.execute(
            "INSERT INTO share_links (id, learner_id, secret_digest, credential_ids, audience, "
            "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (link.id, link.learner_id, self.digest(secret), ids,
             self._seal(link.audience, link.id), link.created_at, link.expires_at))

    def revoke(self, cursor: Cursor, link_id: str, learner_id: str, at: str) -> None:
        """Revoke a link of this learner's (a second revocation keeps the first time)."""
        cursor.execute("UPDATE share_links SET revoked_at = COALESCE(revoked_at, ?) "
                       "WHERE id = ? AND learner_id = ?", (at, link_id, learner_id))

    def by_secret(self, secret: str) -> ShareLink | None:
        if not secret or len(secret) > MAX_SECRET_LENGTH:
            return None
        rows = self.database.read(f"SELECT {_COLUMNS} FROM share_links WHERE secret_digest = ?",
                                  (self.digest(secret),))
        return self._link(rows[0]) if rows else None

    def get(self, link_id: str) -> ShareLink | None:
        rows = self.database.read(f"SELECT {_COLUMNS} FROM share_links WHERE id = ?",
                                  (link_id,))
        return self._link(rows[0]) if rows else None

    def of_learner(self, learner_id: str) -> list[ShareLink]:
        rows = self.database.read(f"SELECT {_COLUMNS} FROM share_links WHERE learner_id = ? "
                                  "ORDER BY created_at DESC, id", (learner_id,))
        return [self._link(row) for row in rows]

    def _link(self, row: Any) -> ShareLink:
        ids = row["credential_ids"]
        return ShareLink(id=row["id"], learner_id=row["learner_id"],
                         credential_ids=orjson.loads(ids) if ids is not None else None,
                         audience=self._open(row["audience"], row["id"]),
                         created_at=row["created_at"], expires_at=row["expires_at"],
                         revoked_at=row["revoked_at"])

    def grant_notes(self, learner_id: str) -> dict[str, str]:
        rows = self.database.read("SELECT grant_id, note FROM access_grant_notes "
                                  "WHERE learner_id = ?", (learner_id,))
        return {row["grant_id"]: self._open(row["note"], row["grant_id"]) for row in rows}

    def insert_grant_note(self, cursor: Cursor, grant_id: str, learner_id: str,
                          note: str) -> None:
        cursor.execute("INSERT INTO access_grant_notes (grant_id, learner_id, note) "
                       "VALUES (?, ?, ?)", (grant_id, learner_id, self._seal(note, grant_id)))

    @staticmethod
    def forget_learner(cursor: Cursor, learner_id: str) -> None:
        """Erasure: the learner's links (and their labels) go."""
        cursor.execute("DELETE FROM share_links WHERE learner_id = ?", (learner_id,))
        cursor.execute("DELETE FROM access_grant_notes WHERE learner_id = ?", (learner_id,))


_COLUMNS = "id, learner_id, credential_ids, audience, created_at, expires_at, revoked_at"
