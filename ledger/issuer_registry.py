"""A known-issuer registry of the providers accredited today, in the Digital Credentials
Consortium's format (`{"meta": {created, updated}, "registry": {DID: {name, location, url}}}`,
as read by DCC's verifier and Learner Credential Wallet), signed by the QA body as a compact
JWS (RFC 7515) whose payload is the registry's exact bytes.

The registry is a function of the register and the day: the same state gives the same bytes
and, Ed25519 being deterministic, the same signature.
"""

from datetime import date, timedelta
from typing import Any

import pycountry
from joserfc import jws
from joserfc.jwk import OKPKey

from ledger.projections.exports import endorsement
from ledger.projections.exports.formatting import midnight, serialise, timestamp
from ledger.projections.register import provider_accredited_on
from ledger.store.keys import SigningKey
from ledger.urls import PublicUrls

MEDIA_TYPE = "application/json"
JWS_MEDIA_TYPE = "application/jose"
ALGORITHM = "Ed25519"  # RFC 9864: the fully specified name ("EdDSA" is deprecated)


def location(country: str) -> str:
    found = pycountry.countries.get(alpha_2=country)
    return found.name if found else country


def _moments(entry: dict[str, Any], today: str) -> list[str]:
    """When the provider's membership may have changed: its decisions and withdrawals, and the
    start and end of each window, up to today."""
    events = [timestamp(h["recorded_at"]) for h in entry.get("history", [])
              if h["event"] in (*endorsement.DECISIONS, endorsement.WITHDRAWAL)]
    bounds = []
    for a in endorsement.accreditations(entry):
        after = (date.fromisoformat(a.last_day) + timedelta(days=1)).isoformat()
        bounds += [midnight(day) for day in (a.valid_from, after) if day <= today]
    return events + bounds


def registry(entries: list[dict[str, Any]], urls: PublicUrls, today: str) -> dict[str, Any]:
    """The registry of providers accredited on `today`, keyed by their DIDs, in id order."""
    providers = sorted((e for e in entries if e.get("kind_of_entry") == "provider"),
                       key=lambda e: e["id"])
    moments = [m for e in providers for m in _moments(e, today)] or [midnight(today)]
    listed = {urls.did(e["id"]): {"name": e["name"], "location": location(e["country"]),
                                  "url": urls.issuer(e["id"])}
              for e in providers if provider_accredited_on(e, today)}
    return {"meta": {"created": min(moments), "updated": max(moments)}, "registry": listed}


def sign(payload: bytes, signer: SigningKey) -> str:
    """A compact JWS of the bytes, by the QA body's key; `kid` is the key's DID URL."""
    key = OKPKey.import_key(signer.private_key)
    header = {"alg": ALGORITHM, "kid": signer.verification_method, "cty": MEDIA_TYPE}
    return jws.serialize_compact(header, payload, key, algorithms=[ALGORITHM])


def published(entries: list[dict[str, Any]], urls: PublicUrls, today: str,
              signer: SigningKey) -> tuple[bytes, str]:
    """The registry's bytes and their JWS."""
    body = serialise(registry(entries, urls, today))
    return body, sign(body, signer)
