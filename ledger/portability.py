"""Portability exports of a learner's record: the read models and the vault turned into the
export formats' input, OB 3.0 and CLR 2.0 signed with the issuers' keys, every format rendered
to bytes with its media type and digest.

Exports are a function of the record: the same record gives byte-identical exports (Ed25519
is deterministic and each proof is dated by the content it signs), so a regenerated export
has the digest of the first and signed credentials can be cached by their content.
"""

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden, NotFound, Unauthenticated
from ledger.endorsements import Endorsements
from ledger.projections.exports import clr, edc, elmo, ob3
from ledger.projections.exports.formatting import serialise
from ledger.projections.exports.model import (
    Credential,
    Document,
    ExportInput,
    Learner,
    NothingToExport,
    Operator,
    Programme,
    Provider,
)
from ledger.projections.exports.transcript_pdf import transcript_pdf
from ledger.projections.store import ReadModelStore
from ledger.projections.transcripts import assemble
from ledger.signing import data_integrity, xml_dsig
from ledger.standards import Standards
from ledger.status_lists import status_entries
from ledger.store.certificates import XmlSigningKeys
from ledger.store.keys import KeyStore
from ledger.store.vault import Vault
from ledger.urls import LEDGER_ISSUER, PublicUrls

MEDIA_TYPES = {
    "ob3": "application/json",
    "clr": "application/json",
    "edc": "application/ld+json",
    "elmo": "application/xml",
    "pdf": "application/pdf",
}
# On ledger.exports; the PDF, for people rather than systems, by its URL only (rendering it
# would double the exporter's work per change).
PUBLISHED = ("ob3", "clr", "edc", "elmo")


@dataclass(frozen=True)
class Export:
    learner_id: str
    format: str
    content: bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def digest_base64(self) -> str:
        return base64.b64encode(hashlib.sha256(self.content).digest()).decode()


class SignedCache:
    """Signed documents by (content digest, key): a credential is signed once per version
    (JSON documents, or XML bytes: an ELMO report's RSA signature costs ~10 ms)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_sign(self, document: Any, method: str, sign: Callable[[], Any]) -> Any:
        content = document if isinstance(document, bytes) else serialise(document)
        entry = (hashlib.sha256(content).hexdigest(), method)
        with self._lock:
            if entry in self._items:
                self._items.move_to_end(entry)
                return self._items[entry]
        signed = sign()
        with self._lock:
            self._items[entry] = signed
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return signed


def check_can_export(actor: Actor, learner_id: str) -> None:
    if actor.role == "auditor" or (actor.role == "learner" and actor.scope == learner_id):
        return
    raise Forbidden("only the learner or an auditor may export a learner's record")


def status_index(row: Document) -> int:
    """A credential's place in the status lists (ledger.projections.status): recorded in its
    transcript row; a row built before indexes were recorded has the store position of the
    issuing event, its first history entry, which is that credential's index."""
    recorded = row.get("status_index")
    return row["history"][0]["position"] if recorded is None else recorded


class Portability:
    def __init__(self, read_models: ReadModelStore, vault: Vault, keys: KeyStore,
                 standards: Standards, urls: PublicUrls, operator: Operator, *,
                 xml_keys: XmlSigningKeys) -> None:
        self.read_models = read_models
        self.vault = vault
        self.keys = keys
        self.standards = standards
        self.urls = urls
        self.operator = operator
        self.xml_keys = xml_keys
        self._signed = SignedCache()
        self.endorsements = Endorsements(keys, standards, urls, operator, self._signed)

    # -- the input ----------------------------------------------------------------------

    def record(self, learner_id: str) -> ExportInput:
        """The learner's record as the read models hold it now, with their personal data
        (none once erased)."""
        doc = assemble(self.read_models.owned("transcripts", learner_id))
        if doc is None:
            raise NotFound(f"learner {learner_id} not found")
        personal = None if doc.get("erased") else self.vault.read(learner_id)
        rows = list(doc["credentials"].values())
        credentials = tuple(
            Credential.from_transcript(row, status_entries(self.urls, status_index(row)))
            for row in rows)
        register = {d: self.read_models.get("register", d)
                    for d in {r["provider_id"] for r in rows}
                    | {r["programme_id"] for r in rows if r.get("programme_id")}}
        providers = {key: Provider.from_register(entry, self.urls)
                     for key, entry in register.items()
                     if entry and entry["kind_of_entry"] == "provider"}
        # Each issuer carries the QA body's signed accreditations (the credential picks the
        # one in force on its award date).
        providers = {key: replace(provider, endorsements=tuple(
                         self.endorsements.of_provider(register[key])))
                     for key, provider in providers.items()}
        programmes = {key: Programme.from_register(entry, self.urls)
                      for key, entry in register.items()
                      if entry and entry["kind_of_entry"] == "microcredential"}
        changes = [entry["recorded_at"] for row in rows for entry in row["history"]]
        changes += [r["recorded_at"] for r in doc["recognitions"]]
        return ExportInput(
            learner=Learner.from_personal(learner_id, personal), credentials=credentials,
            providers=providers, programmes=programmes, operator=self.operator,
            urls=self.urls, as_of=max(changes, default=doc["enrolled_at"]))

    # -- signed documents ----------------------------------------------------------------

    def signed_ob3(self, record: ExportInput, item: Credential) -> Document:
        """One OB 3.0 credential signed by its issuer, dated by the content it carries."""
        document = ob3.credential(record, item)
        key = self.keys.current(item.provider_id)
        return self._signed.get_or_sign(
            document, key.verification_method,
            lambda: data_integrity.sign(document, key, document["validFrom"], self.standards))

    def signed_clr(self, record: ExportInput) -> Document:
        nested = [self.signed_ob3(record, item) for item in record.credentials]
        document = clr.credential(record, nested)
        key = self.keys.current(LEDGER_ISSUER)
        return self._signed.get_or_sign(
            document, key.verification_method,
            lambda: data_integrity.sign(document, key, document["validFrom"], self.standards))

    # -- exports ------------------------------------------------------------------------

    def render(self, record: ExportInput, kind: str) -> Export:
        learner_id = record.learner.id
        if kind == "ob3":
            body = serialise([self.signed_ob3(record, item) for item in record.credentials])
        elif kind == "clr":
            body = serialise(self.signed_clr(record))
        elif kind == "edc":
            body = serialise(edc.credentials(record))
        elif kind == "elmo":
            # EMREX contact points accept signed reports only (enveloped XML-DSig).
            unsigned, key = elmo.report_xml(record), self.xml_keys.current()
            body = self._signed.get_or_sign(unsigned, key.key_id,
                                            lambda: xml_dsig.sign(unsigned, key))
        elif kind == "pdf":
            body = transcript_pdf(record)
        else:
            raise NotFound(f"no export format {kind!r}; formats: {', '.join(MEDIA_TYPES)}")
        return Export(learner_id, kind, body)

    def export(self, actor: Actor, learner_id: str, kind: str) -> Export:
        if kind not in MEDIA_TYPES:
            raise NotFound(f"no export format {kind!r}; formats: {', '.join(MEDIA_TYPES)}")
        check_can_export(actor, learner_id)
        return self.render(self.record(learner_id), kind)

    def credential_ob3(self, actor: Actor | None, credential_id: str) -> Document:
        """One signed OB 3.0 credential: public once its learner shared it, else theirs."""
        row = self.read_models.get("transcripts", credential_id)
        if row is None:
            raise NotFound(f"credential {credential_id} not found")
        learner_id = self._owner_of(credential_id)
        if not row.get("shared"):
            if actor is None:
                raise Unauthenticated("this credential is not shared: only its learner (with "
                                      "a token) may fetch it")
            check_can_export(actor, learner_id)
        record = self.record(learner_id)
        item = record.credential(credential_id)
        if item is None:
            raise NotFound(f"credential {credential_id} not found")
        return self.signed_ob3(record, item)

    def _owner_of(self, credential_id: str) -> str:
        status = self.read_models.get("status", credential_id)
        if status is None:
            raise NotFound(f"credential {credential_id} not found")
        return status["learner_id"]

    def manifest(self, learner_id: str, position: int) -> dict[str, Any]:
        """Everything a downstream system needs after a change to the learner's record: each
        format's URL (and digest), the published formats themselves, and every credential's
        status (revocation does not change a signed credential; its status list says it)."""
        record = self.record(learner_id)
        exports = {}
        for kind in PUBLISHED:
            try:
                exports[kind] = self.render(record, kind)
            except NothingToExport:  # a CLR needs a credential; a new learner has none yet
                continue
        return {
            "learner_id": learner_id,
            "position": position,
            "as_of": record.as_of,
            "credentials": [{"id": c.id, "status": c.status} for c in record.credentials],
            "exports": {
                kind: {"url": self.urls.export(learner_id, kind), "media_type": e.media_type,
                       "sha256": e.sha256, "content": e.content.decode()}
                for kind, e in exports.items()
            } | {"pdf": {"url": self.urls.export(learner_id, "pdf"),
                         "media_type": MEDIA_TYPES["pdf"]}},
        }
