"""Issuers and their keys as verifiers see them: the DID document of each signer (the ledger,
the QA body, every registered provider), listing every key it has signed with, current and
retired, so that a proof's verificationMethod resolves to a key its issuer controls; and each
issuer's profile (name, DID, keys with their lifetimes)."""

from typing import Any

from ledger.domain.errors import NotFound
from ledger.urls import LEDGER_ISSUER, QA_BODY

LEDGER_NAME = "Learner Record Ledger"
# DID Core 1.0 and the Multikey vocabulary (Controlled Identifiers 1.0).
DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
METHOD_FIELDS = ("id", "type", "controller", "publicKeyMultibase")


def profile(issuer_id: str, name: str, url: str | None, did: str,
            keys: list[dict[str, Any]]) -> dict[str, Any]:
    """An Open Badges 3.0 Profile-like document with the issuer's DID and verification
    methods (each with `created` and `retired`)."""
    methods = [{k: v for k, v in key.items() if k not in ("owner", "key_id")} for key in keys]
    body: dict[str, Any] = {"id": issuer_id, "type": ["Profile"], "name": name, "did": did}
    if url:
        body["url"] = url
    body["verificationMethod"] = methods
    body["assertionMethod"] = [m["id"] for m in methods if m["retired"] is None]
    return body


def _name_of(ledger: Any, owner: str) -> str:
    """The signer's name; NotFound unless it is the ledger, the QA body or a provider."""
    if owner == LEDGER_ISSUER:
        return LEDGER_NAME
    if owner == QA_BODY:
        return ledger.portability.operator.qa_name
    entry = ledger.read_models.get("register", owner)
    if entry is None or entry.get("kind_of_entry") != "provider":
        raise NotFound(f"issuer {owner} not found")
    return entry.get("name")


def issuer_profile(ledger: Any, owner: str) -> dict[str, Any]:
    """A provider's (or the ledger's own, or the QA body's) public profile."""
    name = _name_of(ledger, owner)
    url = ledger.urls.base if owner == LEDGER_ISSUER else None
    return profile(ledger.urls.issuer(owner), name, url, ledger.urls.did(owner),
                   ledger.keys.public_keys(owner))


def did_document(ledger: Any, owner: str) -> dict[str, Any]:
    """The DID document of a signer: every key it has had (retired ones too: documents they
    signed still verify) as a Multikey verification method usable for assertions. Only keys
    the ledger made: a row written into the database without the master key is left out."""
    _name_of(ledger, owner)
    did = ledger.urls.did(owner)
    authentic = ledger.keys.authentic(owner)
    methods = [{k: key[k] for k in METHOD_FIELDS} for key in ledger.keys.public_keys(owner)
               if key["key_id"] in authentic]
    return {"@context": DID_CONTEXT, "id": did, "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}
