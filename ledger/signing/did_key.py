"""did:key identifiers for Ed25519 keys: multicodec 0xed01, base58btc multibase ("z6Mk...").

A verifier recovers the public key from the identifier itself, so no DID resolution (and no
network) is needed to check a proof.
"""

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as an unsigned varint
MULTIBASE_BASE58BTC = "z"


class NotAnEd25519DidKey(ValueError):
    """The identifier is not an Ed25519 did:key (or its verification method)."""


def multikey(public_key: Ed25519PublicKey) -> str:
    """The key's Multikey form: "z" + base58btc(0xed01 || 32 key bytes), "z6Mk..."."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return MULTIBASE_BASE58BTC + base58.b58encode(ED25519_PUB + raw).decode()


def did(public_key: Ed25519PublicKey) -> str:
    return f"did:key:{multikey(public_key)}"


def verification_method(public_key: Ed25519PublicKey) -> str:
    """did:key:z6Mk...#z6Mk...: the id a proof names as its verificationMethod."""
    key = multikey(public_key)
    return f"did:key:{key}#{key}"


class EphemeralKey:
    """A signer held only in memory, named by its did:key (tests, benchmarks, examples): the
    signer protocol of the keystore's keys."""

    def __init__(self) -> None:
        self.private_key = Ed25519PrivateKey.generate()
        self.verification_method = verification_method(self.private_key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def controller_of(method: str) -> str:
    """The DID part of a verification method id."""
    return method.split("#", 1)[0]


def public_key_of(identifier: str) -> Ed25519PublicKey:
    """The Ed25519 public key named by a did:key, a verification method whose fragment is the
    key's multikey (did:key:z6Mk...#z6Mk..., or an issuer URL#z6Mk... as in 1EdTech's test
    vector), or a bare multikey."""
    key = identifier.rsplit("#", 1)[-1].removeprefix("did:key:")
    controller = controller_of(identifier)
    if "#" in identifier and controller.startswith("did:key:") and controller != f"did:key:{key}":
        raise NotAnEd25519DidKey(f"fragment and DID name different keys: {identifier}")
    if not key.startswith(MULTIBASE_BASE58BTC):
        raise NotAnEd25519DidKey(f"not a base58btc multikey: {identifier}")
    try:
        raw = base58.b58decode(key[1:])
    except ValueError as error:
        raise NotAnEd25519DidKey(f"not base58btc: {identifier}") from error
    if raw[:2] != ED25519_PUB or len(raw) != 34:
        raise NotAnEd25519DidKey(f"not an Ed25519 multikey: {identifier}")
    return Ed25519PublicKey.from_public_bytes(raw[2:])
