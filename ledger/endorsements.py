"""The QA body's signed accreditations: each decision in the register becomes an Open Badges 3.0
EndorsementCredential signed by the QA body's key (eddsa-rdfc-2022), dated by the decision (or
the withdrawal that ended it), so the same register entry always gives the same bytes."""

from collections.abc import Callable
from typing import Any, Protocol

from ledger.domain.errors import NotFound
from ledger.projections.exports import endorsement
from ledger.projections.exports.model import Document, Endorsement, Operator
from ledger.signing import data_integrity
from ledger.standards import Standards
from ledger.store.keys import KeyStore, SigningKey
from ledger.urls import QA_BODY, PublicUrls


class Cache(Protocol):
    def get_or_sign(self, document: Document, method: str,
                    sign: Callable[[], Document]) -> Document: ...


class Endorsements:
    def __init__(self, keys: KeyStore, standards: Standards, urls: PublicUrls,
                 operator: Operator, cache: Cache) -> None:
        self.keys = keys
        self.standards = standards
        self.urls = urls
        self.operator = operator
        self._cache = cache

    def signer(self) -> SigningKey:
        """The QA body's current key (a verification method of its DID)."""
        return self.keys.current(QA_BODY)

    def sign(self, accreditation: endorsement.Accreditation, provider_name: str) -> Document:
        document = endorsement.credential(accreditation, provider_name, self.urls,
                                          self.operator.qa_name, self.operator.country)
        signer = self.signer()
        return self._cache.get_or_sign(
            document, signer.verification_method,
            lambda: data_integrity.sign(document, signer, accreditation.signed_at,
                                        self.standards))

    def of_provider(self, entry: dict[str, Any]) -> list[Endorsement]:
        """Every accreditation of a provider (its register entry), signed, oldest first."""
        return [Endorsement(a.valid_from, a.last_day, self.sign(a, entry["name"]))
                for a in endorsement.accreditations(entry)]

    def published(self, entry: dict[str, Any] | None, provider_id: str) -> list[Document]:
        """The signed endorsements of a registered provider, for its public URLs."""
        if entry is None or entry.get("kind_of_entry") != "provider":
            raise NotFound(f"provider {provider_id} not found")
        return [e.document for e in self.of_provider(entry)]

    def one(self, entry: dict[str, Any] | None, provider_id: str, number: int) -> Document:
        wanted = self.urls.endorsement(provider_id, number)
        for document in self.published(entry, provider_id):
            if document["id"] == wanted:
                return document
        raise NotFound(f"provider {provider_id} has no endorsement {number}")
