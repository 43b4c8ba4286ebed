"""What an Idempotency-Key is bound to: a keyed digest (HMAC-SHA256, under a key derived from
the master key) of the request's method, path and body.

A body can carry personal data (an enrolment's name, birth date and national id), so the
stored digest must not be a plain hash that anyone holding the table could test guesses
against. Releases before this one stored plain SHA-256 digests (without the prefix); a retry
of such a request still matches them, through `legacy`, until those keys expire."""

import hashlib
import hmac
import json
from typing import Any

import orjson

from ledger.store.vault import derive_key

PREFIX = "hmac-sha256:"


def canonical(method: str, path: str, body: Any) -> bytes:
    try:
        return orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # What orjson refuses and a JSON body can still hold (bulk items are kept as sent):
        # integers past 64 bits, lone surrogates. The same request gives the same bytes.
        return json.dumps([method, path, body], sort_keys=True, separators=(",", ":")).encode()


def legacy(method: str, path: str, body: Any) -> str:
    """The unkeyed digest earlier releases stored (compared, never stored)."""
    return hashlib.sha256(canonical(method, path, body)).hexdigest()


class RequestHashes:
    def __init__(self, master_key: bytes) -> None:
        self._key = derive_key(master_key, b"ledger request hashes")

    def of(self, method: str, path: str, body: Any) -> str:
        digest = hmac.new(self._key, canonical(method, path, body), hashlib.sha256)
        return PREFIX + digest.hexdigest()
