"""The ledger's public identifiers: stable HTTPS URLs under `public_base_url` for issuers,
credentials and status lists, the did:web DIDs of every signer, and the reverse (which of ours
a URL or DID names, if any).

did:web (https://w3c-ccg.github.io/did-method-web/): the host's port is percent-encoded and each
path segment becomes a colon-separated part. The ledger's own DID is the base URL's
(`did:web:host%3A8000`, document at `/.well-known/did.json` when the base URL has no path),
every other signer's is `did:web:host%3A8000:issuers:<owner>` (document at
`/issuers/<owner>/did.json`). A verification method is `<DID>#<the key's multikey>`.
"""

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

LEDGER_ISSUER = "ledger"  # the ledger's own issuer id (status lists, transcripts it compiles)
QA_BODY = "qa-body"  # the quality-assurance agency: it signs accreditation endorsements


@dataclass(frozen=True)
class PublicUrls:
    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))
        parts = urlsplit(self.base)
        segments = [quote(unquote(s), safe="") for s in parts.path.split("/") if s]
        object.__setattr__(self, "_did_root",
                           ":".join(["did:web", quote(parts.netloc, safe=""), *segments]))
        object.__setattr__(self, "_has_path", bool(segments))

    # --- did:web ----------------------------------------------------------------------------

    def did(self, owner: str) -> str:
        """The DID of a signer: "ledger", "qa-body" or a provider id."""
        if owner == LEDGER_ISSUER:
            return self._did_root
        return f"{self._did_root}:issuers:{quote(owner, safe='')}"

    def did_document(self, owner: str) -> str:
        """Where a did:web resolver fetches the signer's DID document."""
        if owner == LEDGER_ISSUER:
            where = "did.json" if self._has_path else ".well-known/did.json"
            return f"{self.base}/{where}"
        return f"{self.base}/issuers/{quote(owner, safe='')}/did.json"

    def verification_method(self, owner: str, multikey: str) -> str:
        return f"{self.did(owner)}#{multikey}"

    def owner_of_did(self, did: object) -> str | None:
        """The signer a DID (or a verification method id) of ours names; None if not ours."""
        if not isinstance(did, str):
            return None
        did = did.split("#", 1)[0]
        if did == self._did_root:
            return LEDGER_ISSUER
        tail = did.removeprefix(f"{self._did_root}:issuers:")
        if tail == did or not tail or ":" in tail:
            return None
        return unquote(tail)

    def issuer(self, owner: str) -> str:
        """An issuer profile: a provider id, or "ledger"."""
        return f"{self.base}/v1/issuers/{owner}"

    def credential(self, credential_id: str) -> str:
        return f"{self.base}/v1/credentials/{credential_id}"

    @property
    def ledger(self) -> str:
        """The ledger's own issuer profile (it signs status lists and the CLR it compiles)."""
        return self.issuer(LEDGER_ISSUER)

    def endorsement(self, provider_id: str, number: int) -> str:
        """The QA body's EndorsementCredential for a provider's accreditation decision."""
        return f"{self.base}/v1/issuers/{quote(provider_id, safe='')}/endorsements/{number}"

    @property
    def issuer_registry(self) -> str:
        """The DCC-style registry of accredited providers' DIDs."""
        return f"{self.base}/v1/issuer-registry"

    def edc(self, credential_id: str) -> str:
        """The European Digital Credential's own id (a second document of the credential)."""
        return f"{self.base}/v1/credentials/{credential_id}/edc"

    def programme(self, programme_id: str) -> str:
        return f"{self.base}/v1/register/microcredentials/{programme_id}"

    def pathway(self, pathway_id: str) -> str:
        return f"{self.base}/v1/pathways/{pathway_id}"

    def learner(self, learner_id: str) -> str:
        return f"{self.base}/v1/learners/{learner_id}"

    def export(self, learner_id: str, kind: str) -> str:
        return f"{self.base}/v1/learners/{learner_id}/exports/{kind}"

    def verification(self, credential_id: str) -> str:
        """Where anyone can check a credential (the PDF's link and QR code): a page for
        people that answers like GET /v1/verify/{id} to `Accept: application/json`."""
        return f"{self.base}/verify/{credential_id}"

    def status_list(self, list_id: str) -> str:
        return f"{self.base}/v1/status-lists/{list_id}"

    def _tail(self, url: object, prefix: str) -> str | None:
        if not isinstance(url, str):
            return None
        start = f"{self.base}{prefix}"
        tail = url[len(start):] if url.startswith(start) else ""
        return tail if tail and "/" not in tail and "#" not in tail else None

    def owner_of_issuer(self, url: object) -> str | None:
        return self._tail(url, "/v1/issuers/")

    def credential_id_of(self, url: object) -> str | None:
        return self._tail(url, "/v1/credentials/")

    def list_id_of(self, url: object) -> str | None:
        return self._tail(url, "/v1/status-lists/")
