"""Credential documents for the signing and verification tests, shaped like the ledger's
OB 3.0 exports (the real builders live in ledger/projections/exports)."""

import json
from typing import Any

import jsonschema

from ledger.status_lists import status_entries
from ledger.urls import PublicUrls
from tests.conftest import STANDARDS

OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def achievement_credential(urls: PublicUrls, credential_id: str, provider_id: str,
                           status_index: int | None = None, *, awarded_on: str = "2025-03-01",
                           both_entries: bool = False, learner_id: str | None = None
                           ) -> dict[str, Any]:
    """With a status index: the revocation entry as `credentialStatus` (1EdTech's schemas
    allow one object), or with `both_entries` the revocation and suspension entries; with a
    learner id, the subject's id (the learner's URL, as in the ledger's exports)."""
    document: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": urls.credential(credential_id),
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": "მონაცემთა წიგნიერება საჯარო მოხელეებისთვის",
        "issuer": {"id": urls.did(provider_id), "url": urls.issuer(provider_id),
                   "type": ["Profile"],
                   "name": "ივანე ჯავახიშვილის სახელობის თბილისის სახელმწიფო უნივერსიტეტი"},
        "validFrom": f"{awarded_on}T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": "ნინო ბერიძე",
                            "identityType": "name", "hashed": False}],
            "achievement": {
                "id": f"{urls.base}/v1/microcredentials/p-1", "type": ["Achievement"],
                "achievementType": "MicroCredential", "name": "Data Literacy",
                "description": "Interpret descriptive statistics; build a reproducible report",
                "criteria": {"narrative": "Supervised online examination"},
                "creditsAvailable": 5.0,
                "alignment": [{"type": ["Alignment"], "targetName": "EQF level 5",
                               "targetUrl": "https://europa.eu/europass/en/europass-tools/"
                                            "european-qualifications-framework",
                               "targetType": "ext:EQF", "targetCode": "5"}],
            },
            "result": [{"type": ["Result"], "value": "A"}],
        },
    }
    if learner_id is not None:
        document["credentialSubject"] = {"id": urls.learner(learner_id),
                                          **document["credentialSubject"]}
    if status_index is not None:
        entries = status_entries(urls, status_index)
        document["credentialStatus"] = entries if both_entries else entries[0]
    return document


def endorsement_schema_errors(document: dict) -> list[str]:
    """The document against the EndorsementCredential definition of both 1EdTech OB 3.0
    schema variants (the one a Profile's `endorsement` refers to)."""
    problems = []
    for name in ("ob_v3p0_achievementcredential_schema.json",
                 "ob_v3p0_achievementcredential_schema.jsonld-variant.json"):
        schema = json.loads((STANDARDS / "schemas" / "ob3" / name).read_text())
        defs = "$defs" if "$defs" in schema else "definitions"
        part = {"$schema": schema.get("$schema"), defs: schema[defs],
                "$ref": f"#/{defs}/EndorsementCredential"}
        validator = jsonschema.validators.validator_for(schema)(
            part, format_checker=jsonschema.validators.validator_for(schema).FORMAT_CHECKER)
        problems += [f"[{name}] {e.message[:160]}" for e in validator.iter_errors(document)]
    return problems
