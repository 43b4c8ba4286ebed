"""The ledger's public identifiers: stable HTTPS URLs under `public_base_url` for issuers,
credentials and status lists, and the reverse (which of ours a URL names, if any)."""

from dataclasses import dataclass

LEDGER_ISSUER = "ledger"  # the ledger's own issuer id (status lists, transcripts it compiles)


@dataclass(frozen=True)
class PublicUrls:
    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def issuer(self, owner: str) -> str:
        """An issuer profile: a provider id, or "ledger"."""
        return f"{self.base}/v1/issuers/{owner}"

    def credential(self, credential_id: str) -> str:
        return f"{self.base}/v1/credentials/{credential_id}"

    @property
    def ledger(self) -> str:
        """The ledger's own issuer profile (it signs status lists and the CLR it compiles)."""
        return self.issuer(LEDGER_ISSUER)

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
        """Where anyone can check a credential (the PDF's link and QR code)."""
        return f"{self.base}/v1/verify/{credential_id}"

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
