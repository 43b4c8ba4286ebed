"""Issuer profiles: who an issuer id names, and every key it has signed with (current and
retired), so that a verifier can tie a did:key in a proof to the issuer it claims."""

from typing import Any

from ledger.domain.errors import NotFound
from ledger.urls import LEDGER_ISSUER

LEDGER_NAME = "Learner Record Ledger"


def profile(issuer_id: str, name: str, url: str | None, keys: list[dict[str, Any]]
            ) -> dict[str, Any]:
    """An Open Badges 3.0 Profile-like document with the issuer's verification methods."""
    methods = [{k: v for k, v in key.items() if k != "owner"} for key in keys]
    body: dict[str, Any] = {"id": issuer_id, "type": ["Profile"], "name": name}
    if url:
        body["url"] = url
    body["verificationMethod"] = methods
    body["assertionMethod"] = [m["id"] for m in methods if m["retired"] is None]
    return body


def issuer_profile(ledger: Any, owner: str) -> dict[str, Any]:
    """A provider's (or, for "ledger", the ledger's own) public profile."""
    if owner == LEDGER_ISSUER:
        name, url = LEDGER_NAME, ledger.urls.base
    else:
        entry = ledger.read_models.get("register", owner)
        if entry is None or entry.get("kind_of_entry") != "provider":
            raise NotFound(f"issuer {owner} not found")
        name, url = entry.get("name"), None
    return profile(ledger.urls.issuer(owner), name, url, ledger.keys.public_keys(owner))
