"""The state of "Add to wallet" exchanges (table wallet_exchanges): created, requested, failed
attempts, delivered. Exchange ids are bearer secrets: rows are found by their SHA-256 digest.

Each transition is one conditional UPDATE, so two requests racing on one exchange cannot both
deliver: the one whose UPDATE changed the row wins, the other sees it used."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.store.database import Cursor, Database

COLUMNS = ("id, exchange_digest, learner_id, principal_id, credential_ids, challenge, "
           "created_at, expires_at, requested_at, failed_attempts, delivered_at, holder, "
           "delivered_count")


def digest(exchange_id: str) -> str:
    return hashlib.sha256(exchange_id.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    """UTC, to the microsecond, fixed width: stamps compare as text in both stores."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ExchangeRow:
    id: str
    learner_id: str
    principal_id: str
    credential_ids: tuple[str, ...] | None  # None: every credential the learner holds
    challenge: str
    created_at: str
    expires_at: str
    requested_at: str | None
    failed_attempts: int
    delivered_at: str | None
    holder: str | None
    delivered_count: int | None

    @classmethod
    def of(cls, row: Any) -> "ExchangeRow":
        chosen = row["credential_ids"]
        return cls(id=row["id"], learner_id=row["learner_id"], principal_id=row["principal_id"],
                   credential_ids=None if chosen is None else tuple(orjson.loads(chosen)),
                   challenge=row["challenge"], created_at=row["created_at"],
                   expires_at=row["expires_at"], requested_at=row["requested_at"],
                   failed_attempts=int(row["failed_attempts"]),
                   delivered_at=row["delivered_at"], holder=row["holder"],
                   delivered_count=row["delivered_count"])

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= stamp(now)


class WalletExchanges:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, offer_id: str, exchange_id: str, learner_id: str, principal_id: str,
               credential_ids: list[str] | None, challenge: str, created: datetime,
               expires: datetime) -> None:
        chosen = None if credential_ids is None else orjson.dumps(credential_ids).decode()
        with self.database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO wallet_exchanges (id, exchange_digest, learner_id, principal_id, "
                "credential_ids, challenge, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (offer_id, digest(exchange_id), learner_id, principal_id, chosen, challenge,
                 stamp(created), stamp(expires)))

    def find(self, exchange_id: str) -> ExchangeRow | None:
        rows = self.database.read(f"SELECT {COLUMNS} FROM wallet_exchanges "
                                  "WHERE exchange_digest = ?", (digest(exchange_id),))
        return ExchangeRow.of(rows[0]) if rows else None

    def of_learner(self, learner_id: str, limit: int) -> list[ExchangeRow]:
        rows = self.database.read(f"SELECT {COLUMNS} FROM wallet_exchanges WHERE "
                                  "learner_id = ? ORDER BY created_at DESC, id LIMIT ?",
                                  (learner_id, limit))
        return [ExchangeRow.of(row) for row in rows]

    def mark_requested(self, offer_id: str, now: datetime) -> None:
        with self.database.transaction() as cursor:
            cursor.execute("UPDATE wallet_exchanges SET requested_at = ? WHERE id = ? AND "
                           "requested_at IS NULL", (stamp(now), offer_id))

    def count_failure(self, offer_id: str) -> None:
        with self.database.transaction() as cursor:
            cursor.execute("UPDATE wallet_exchanges SET failed_attempts = failed_attempts + 1 "
                           "WHERE id = ?", (offer_id,))

    def claim(self, offer_id: str, holder: str, count: int, now: datetime,
              max_failures: int) -> bool:
        """Mark the exchange delivered to `holder`, if it is still open (not delivered, not
        expired, not closed by failures): True for the one request that did."""
        with self.database.transaction() as cursor:
            claimed = cursor.execute(
                "UPDATE wallet_exchanges SET delivered_at = ?, holder = ?, delivered_count = ? "
                "WHERE id = ? AND delivered_at IS NULL AND expires_at > ? "
                "AND failed_attempts < ? RETURNING id",
                (stamp(now), holder, count, offer_id, stamp(now), max_failures)).fetchone()
            return claimed is not None


def forget_learner(cursor: Cursor, learner_id: str) -> None:
    """Erasure: the learner's offers go, with the wallet DIDs they were delivered to."""
    cursor.execute("DELETE FROM wallet_exchanges WHERE learner_id = ?", (learner_id,))
