"""Tables written in the same transaction as the events: idempotency records and the
credential index (which learner stream holds a credential).

An idempotency record whose request carried a learner's personal data (an enrolment: the
request hash is a digest of their name, birth date and national id, and a client may have
put any of them in the key) is linked to that learner, so that erasure can remove it."""

from typing import Any

import orjson

from ledger.store.database import Cursor, Database


def record_response(cursor: Cursor, principal_id: str, key: str, request_hash: str,
                    status: int, body: dict[str, Any], subject: str | None = None) -> None:
    """Store a response for retries; `subject` is the learner whose personal data the request
    carried, if any."""
    cursor.execute(
        "INSERT INTO idempotency_keys (principal_id, key, request_hash, status, body) "
        "VALUES (?, ?, ?, ?, ?)",
        (principal_id, key, request_hash, status, orjson.dumps(body).decode()),
    )
    if subject is not None:
        cursor.execute("INSERT INTO idempotency_subjects (learner_id, principal_id, key) "
                       "VALUES (?, ?, ?)", (subject, principal_id, key))


def forget_requests_of(cursor: Cursor, learner_id: str) -> None:
    """Erasure: the idempotency records of requests that carried the learner's personal data
    are deleted. A retry of such a request after the erasure is a new request."""
    cursor.execute(
        "DELETE FROM idempotency_keys WHERE EXISTS (SELECT 1 FROM idempotency_subjects s "
        "WHERE s.learner_id = ? AND s.principal_id = idempotency_keys.principal_id "
        "AND s.key = idempotency_keys.key)", (learner_id,))
    cursor.execute("DELETE FROM idempotency_subjects WHERE learner_id = ?", (learner_id,))


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
