"""Status-list bits read the way the W3C Bitstring Status List specification says, with none of
the ledger's own code: multibase base64url (the `u` prefix, no padding) of the GZIP of the
bits, index 0 the most significant bit of the first byte. The ledger's encoder and decoder
could agree with each other on a wrong bit order; these cannot agree with them by accident."""

import base64
import gzip
from urllib.parse import urlparse

# Known answers, made once with the standard library's gzip (mtime 0), not the ledger's encoder:
# 16 bytes with only the first byte's top bit set (0x80 0x00 ...): index 0 alone.
ONLY_INDEX_0 = "uH4sIAAAAAAACA2tgQAUAoaZGsBAAAAA"
# 16 bytes 0x01 0x80 0x00 ... 0x01: indexes 7, 8 and 127.
INDEXES_7_8_127 = "uH4sIAAAAAAACA2NsYEAGjADpGlN7EAAAAA"


def decode_list(encoded: str) -> bytes:
    """The bits of an encodedList."""
    assert isinstance(encoded, str) and encoded[:1] == "u", f"not multibase base64url: {encoded!r}"
    body = encoded[1:]
    assert "=" not in body, "multibase base64url has no padding"
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def ones(bits: bytes) -> list[int]:
    """Indexes of the set bits; index 0 is the most significant bit of the first byte."""
    return [8 * n + k for n, byte in enumerate(bits) for k in range(8) if byte & (0x80 >> k)]


def is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] >> (7 - index % 8) & 1)


def served_bits(caller, entry: dict) -> bytes:
    """The bits of the list a `credentialStatus` entry names, as served over HTTP."""
    response = caller.get(urlparse(entry["statusListCredential"]).path)
    assert response.status_code == 200, response.text
    return decode_list(response.json()["credentialSubject"]["encodedList"])


def served_bit(caller, entry: dict) -> bool:
    """Whether the entry's bit is set in the list served now."""
    return is_set(served_bits(caller, entry), int(entry["statusListIndex"]))


def status_entries(caller, credential_id: str, position: int) -> dict[str, dict]:
    """A credential's `credentialStatus` entries by purpose, as public verification reports
    them once the read models have reached `position`."""
    response = caller.get(f"/v1/verify/{credential_id}", min_position=position)
    assert response.status_code == 200, response.text
    return {e["statusPurpose"]: e for e in response.json()["credential_status"]}
