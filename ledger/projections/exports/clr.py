"""CLR 2.0 `ClrCredential` per learner: every credential as the caller signed it, and stacking
as `association`s (each component's achievement `isPartOf` its stack's achievement).

The ledger's operator issues it: the credentials inside keep their providers' own proofs.
"""

from collections.abc import Sequence

from ledger.projections.exports import ob3
from ledger.projections.exports.formatting import timestamp
from ledger.projections.exports.model import Document, ExportInput, NothingToExport
from ledger.urls import LEDGER_ISSUER

CONTEXT = ["https://www.w3.org/ns/credentials/v2",
           "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
           "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
SCHEMA = [{"id": "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/"
                 "clr_v2p0_clrcredential_schema.json",
           "type": "1EdTechJsonSchemaValidator2019"}]


def credential(record: ExportInput, signed: Sequence[Document]) -> Document:
    """The learner's CLR around `signed`: their OB 3.0 credentials, signed by the caller."""
    if not signed:  # CLR 2.0 requires at least one credential
        raise NothingToExport(f"learner {record.learner.id} holds no credential to export")
    learner = record.learner
    name = learner.full_name
    subject: Document = {"id": record.urls.learner(learner.id), "type": ["ClrSubject"]}
    if names := ob3.identity(learner):
        subject["identifier"] = names
    subject["verifiableCredential"] = list(signed)
    if links := associations(record):
        subject["association"] = links
    return {
        "@context": CONTEXT,
        "id": record.urls.export(learner.id, "clr"),
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"Comprehensive Learner Record: {name}" if name
                else "Comprehensive Learner Record",
        "description": f"Every micro-credential recorded for this learner in the national "
                       f"learner-record ledger of {record.operator.name}.",
        "issuer": {"id": record.urls.did(LEDGER_ISSUER), "type": ["Profile"],
                   "name": record.operator.name, "url": record.urls.ledger,
                   "address": {"type": ["Address"],
                               "addressCountryCode": record.operator.country}},
        "validFrom": timestamp(record.as_of),
        "credentialSubject": subject,
        "credentialSchema": SCHEMA,
    }


def associations(record: ExportInput) -> list[Document]:
    """One `isPartOf` per (component achievement, stack achievement) pair, in record order."""
    pairs = {}
    for stack in record.credentials:
        if stack.is_stack:
            target = ob3.achievement_id(record, stack)
            for part in record.components(stack):
                pairs[(ob3.achievement_id(record, part), target)] = None
    return [{"type": "Association", "associationType": "isPartOf", "sourceId": source,
             "targetId": target} for source, target in pairs]
