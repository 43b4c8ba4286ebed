"""Tables written in the same transaction as the events: idempotency records and the
credential index (which learner stream holds a credential)."""

from typing import Any

import orjson

from ledger.store.database import Cursor, Database

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS idempotency_keys (principal_id TEXT NOT NULL, "
    "key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL, "
    "body TEXT NOT NULL, PRIMARY KEY (principal_id, key))",
    "CREATE TABLE IF NOT EXISTS credential_index (credential_id TEXT PRIMARY KEY, "
    "learner_id TEXT NOT NULL)",
]


def record_response(cursor: Cursor, principal_id: str, key: str, request_hash: str,
                    status: int, body: dict[str, Any]) -> None:
    cursor.execute(
        "INSERT INTO idempotency_keys (principal_id, key, request_hash, status, body) "
        "VALUES (?, ?, ?, ?, ?)",
        (principal_id, key, request_hash, status, orjson.dumps(body).decode()),
    )


def find_response(database: Database, principal_id: str, key: str) -> tuple[str, int, Any] | None:
    row = database.query_one(
        "SELECT request_hash, status, body FROM idempotency_keys "
        "WHERE principal_id = ? AND key = ?",
        (principal_id, key),
    )
    if row is None:
        return None
    return row["request_hash"], row["status"], orjson.loads(row["body"])


CREDENTIAL_INDEX = ("credential_index", ("credential_id", "learner_id"))


def learner_of(database: Database, credential_id: str) -> str | None:
    row = database.query_one(
        "SELECT learner_id FROM credential_index WHERE credential_id = ?", (credential_id,)
    )
    return row["learner_id"] if row else None
