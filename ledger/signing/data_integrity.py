"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite: sign a JSON-LD credential and
verify one, offline (contexts come from the standards cache).

RDFC-1.0 (URDNA2015) canonical N-Quads of the proof options (under the document's @context)
and of the document without its proof; the signature covers sha256(options) || sha256(document)
and is written as proofValue = "z" + base58btc.
"""

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

from ledger.signing import did_key, nquads
from ledger.standards import Standards, UnknownContext

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
# The Linked Data proof suite eddsa-rdfc-2022 grew out of: the same message (RDFC-1.0, SHA-256
# of options and document, Ed25519, base58btc proofValue) under a type of its own, defined by
# its own context. The DCC Learner Credential Wallet signs its DIDAuth presentations with it;
# only check_proof(..., legacy=True) accepts it.
LEGACY_PROOF_TYPE = "Ed25519Signature2020"
LEGACY_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
ASSERTION = "assertionMethod"

Document = dict[str, Any]

# pyld writes control characters raw; outside verifiers (rdf-canonize) escape them.
nquads.install()


class Signer(Protocol):
    """What signing needs of a key (ledger.store.keys.SigningKey is one)."""

    verification_method: str  # what the proof names: <the issuer's DID>#<multikey>, or a did:key

    def sign(self, message: bytes) -> bytes: ...


class ProofError(ValueError):
    """The document cannot carry (or be checked against) an eddsa-rdfc-2022 proof."""


def canonicalise(document: Document, standards: Standards) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (every context from the cache)."""
    with standards.jsonld() as options:
        return jsonld.normalize(document, {**options, "algorithm": "URDNA2015",
                                           "format": "application/n-quads"})


def _unproven(document: Document) -> Document:
    return {k: v for k, v in document.items() if k != "proof"}


def hash_data(document: Document, proof_options: Document, standards: Standards) -> bytes:
    """sha256(canonical proof options) || sha256(canonical document), the signed message."""
    if "@context" not in document:
        raise ProofError("the document has no @context")
    options = {k: v for k, v in proof_options.items() if k != "proofValue"}
    options["@context"] = document["@context"]
    canonical_options = canonicalise(options, standards)
    if options.get("type") == LEGACY_PROOF_TYPE:
        if f"#{LEGACY_PROOF_TYPE}>" not in canonical_options:
            raise ProofError(f"the document's @context does not define {LEGACY_PROOF_TYPE} "
                             f"(add {LEGACY_CONTEXT})")
    elif CRYPTOSUITE not in canonical_options:
        # The context does not define the Data Integrity terms: the proof would sign nothing.
        raise ProofError("the document's @context does not define DataIntegrityProof (add "
                         "https://w3id.org/security/data-integrity/v2 or use VC 2.0)")
    return (hashlib.sha256(canonical_options.encode()).digest()
            + hashlib.sha256(canonicalise(_unproven(document), standards).encode()).digest())


def sign(document: Document, key: Signer, created: str, standards: Standards,
         proof_purpose: str = ASSERTION) -> Document:
    """A copy of the document with an eddsa-rdfc-2022 proof appended to its `proof` array.

    `created` (RFC 3339) is the caller's: the same document, key and time give the same bytes,
    so a regenerated export is identical to the first."""
    options = {"type": PROOF_TYPE, "created": created,
               "verificationMethod": key.verification_method, "cryptosuite": CRYPTOSUITE,
               "proofPurpose": proof_purpose}
    signature = key.sign(hash_data(document, options, standards))
    signed = copy.deepcopy(document)
    existing = signed.get("proof") or []
    proofs = existing if isinstance(existing, list) else [existing]
    signed["proof"] = [*proofs, {**options, "proofValue": "z" + base58.b58encode(signature)
                                 .decode()}]
    return signed


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of checking one proof."""

    valid: bool
    verification_method: str | None
    created: str | None
    reason: str | None = None


def proofs_of(document: Document) -> list[Any]:
    proof = document.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def verify(document: Document, standards: Standards,
           public_key: Callable[[str], Ed25519PublicKey] = did_key.public_key_of
           ) -> list[ProofCheck]:
    """Check every proof of the document (none: an empty list). `public_key` resolves a
    verification method; the default reads the key from a did:key-style multikey fragment."""
    return [_check(document, proof, standards, public_key) for proof in proofs_of(document)]


def _check(document: Document, proof: Any, standards: Standards,
           public_key: Callable[[str], Ed25519PublicKey]) -> ProofCheck:
    return check_proof(proof, lambda: hash_data(document, proof, standards), public_key)


def check_proof(proof: Any, message: Callable[[], bytes],
                public_key: Callable[[str], Ed25519PublicKey] = did_key.public_key_of,
                *, legacy: bool = False) -> ProofCheck:
    """One proof against the signed message `message()` computes (hash_data of the document
    and the proof, perhaps done elsewhere: it may raise ProofError for a document it cannot
    canonicalise). With `legacy`, an Ed25519Signature2020 proof is accepted too."""
    if not isinstance(proof, dict):
        return ProofCheck(False, None, None, "a proof must be an object")
    method, created = proof.get("verificationMethod"), proof.get("created")
    method = method if isinstance(method, str) else None

    def invalid(reason: str) -> ProofCheck:
        return ProofCheck(False, method, created if isinstance(created, str) else None, reason)

    suite = (proof.get("type"), proof.get("cryptosuite"))
    if suite != (PROOF_TYPE, CRYPTOSUITE) and not (legacy and suite == (LEGACY_PROOF_TYPE,
                                                                         None)):
        return invalid(f"unsupported proof {proof.get('type')}/{proof.get('cryptosuite')}")
    value = proof.get("proofValue")
    if method is None or not isinstance(value, str) or not value.startswith("z"):
        return invalid("the proof lacks a verificationMethod or a base58btc proofValue")
    try:
        key = public_key(method)
        signature = base58.b58decode(value[1:])
        key.verify(signature, message())
    except (did_key.NotAnEd25519DidKey, ProofError, UnknownContext) as error:
        return invalid(str(error))
    except (InvalidSignature, ValueError):
        return invalid("the signature does not match the document")
    except jsonld.JsonLdError as error:
        return invalid(f"the document is not valid JSON-LD: {error.args[0]}")
    return ProofCheck(True, method, created)
