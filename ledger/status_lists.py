"""W3C Bitstring Status Lists: which credentials are revoked or suspended, published as signed
BitstringStatusListCredentials that anyone can fetch and check offline.

Lists are numbered: a credential's status index (recorded in the event that issued it, see
ledger.projections.status) falls in list index // LIST_SIZE at bit index % LIST_SIZE.
The bits are computed from the credential rows when a list is read; the signed list is cached
until one of its rows changes.
"""

import base64
import gzip
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.domain.errors import NotFound
from ledger.domain.status import REVOKED, SUSPENDED, UNDER_REVIEW
from ledger.projections.store import ReadModelStore
from ledger.signing import data_integrity
from ledger.standards import Standards
from ledger.status_permutation import LIST_SIZE
from ledger.store.keys import KeyStore
from ledger.urls import LEDGER_ISSUER, PublicUrls

# statusPurpose -> the credential statuses that set its bit. A stack under review may be
# reinstated, like a suspended credential: it is not to be relied on meanwhile.
PURPOSES = {"revocation": (REVOKED,), "suspension": (SUSPENDED, UNDER_REVIEW)}
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_LIST_ID = re.compile(r"^(revocation|suspension)-(0|[1-9][0-9]{0,15})$")

Document = dict[str, Any]


@dataclass(frozen=True)
class ListId:
    purpose: str
    number: int

    @classmethod
    def parse(cls, text: object) -> "ListId | None":
        match = _LIST_ID.match(text) if isinstance(text, str) else None
        return cls(match[1], int(match[2])) if match else None

    def __str__(self) -> str:
        return f"{self.purpose}-{self.number}"


def status_entries(urls: PublicUrls, status_index: int) -> list[Document]:
    """A credential's two `credentialStatus` entries (revocation, suspension)."""
    number, bit = divmod(status_index, LIST_SIZE)
    entries = []
    for purpose in PURPOSES:
        list_url = urls.status_list(str(ListId(purpose, number)))
        entries.append({"id": f"{list_url}#{bit}", "type": "BitstringStatusListEntry",
                        "statusPurpose": purpose, "statusListIndex": str(bit),
                        "statusListCredential": list_url})
    return entries


def bitstring(indexes: Any, size: int = LIST_SIZE) -> bytes:
    """`size` bits with the given ones set; index 0 is the left-most bit of the first byte."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def bit_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def encode(bits: bytes) -> str:
    """Multibase base64url (no padding) of the GZIP of the bits; mtime 0 keeps it stable."""
    packed = gzip.compress(bits, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode(encoded: str) -> bytes:
    """The bits of an encodedList (ValueError when it is not one)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return gzip.decompress(packed)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"encodedList does not decode: {error}") from error


def timestamp(iso: str) -> str:
    """An event time as RFC 3339 UTC to the second (the form VC 2.0 examples use)."""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_credential(urls: PublicUrls, list_id: ListId, bits: bytes, issuer: str,
                    valid_from: str) -> Document:
    """The unsigned BitstringStatusListCredential of one list."""
    url = urls.status_list(str(list_id))
    return {
        "@context": [VC2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": list_id.purpose, "encodedList": encode(bits)},
    }


@dataclass(frozen=True)
class PublishedList:
    credential: Document
    bits: bytes


class StatusLists:
    """Serves the ledger's status lists, signed with the ledger's own key."""

    def __init__(self, read_models: ReadModelStore, keys: KeyStore, standards: Standards,
                 urls: PublicUrls) -> None:
        self.read_models = read_models
        self.keys = keys
        self.standards = standards
        self.urls = urls
        self._published: dict[str, tuple[tuple[int, str], PublishedList]] = {}
        self._lock = threading.Lock()

    def credential(self, list_id: str) -> Document:
        """The signed list credential (NotFound for a list that holds no credential)."""
        return self.published(list_id).credential

    def published(self, list_id: str) -> PublishedList:
        parsed = ListId.parse(list_id)
        newest = parsed and self.read_models.newest("status", status_list=parsed.number)
        if parsed is None or newest is None:
            raise NotFound(f"status list {list_id} not found")
        # Re-signed only when a row of the list changed (or the ledger's key rotated).
        position, latest = newest
        stamp = (position, self.keys.current(LEDGER_ISSUER).verification_method)
        with self._lock:
            cached = self._published.get(str(parsed))
            if cached is None or cached[0] != stamp:
                # The newest change dates the list: the same rows give the same bytes.
                cached = (stamp, self._publish(parsed, timestamp(latest["changed_at"])))
                self._published[str(parsed)] = cached
        return cached[1]

    def _publish(self, list_id: ListId, valid_from: str) -> PublishedList:
        flagged = self.read_models.where("status", status_list=list_id.number,
                                         status=PURPOSES[list_id.purpose])
        bits = bitstring(row["status_index"] % LIST_SIZE for row in flagged)
        key = self.keys.current(LEDGER_ISSUER)
        unsigned = list_credential(self.urls, list_id, bits, key.did, valid_from)
        signed = data_integrity.sign(unsigned, key, valid_from, self.standards)
        return PublishedList(signed, bits)

    def entries_for(self, credential_id: str) -> list[Document]:
        """The `credentialStatus` entries of one of the ledger's credentials."""
        row = self.read_models.get("status", credential_id)
        if row is None:
            raise NotFound(f"credential {credential_id} not found")
        return status_entries(self.urls, row["status_index"])
