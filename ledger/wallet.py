"""Add to wallet: a learner's signed OB 3.0 credentials delivered to their wallet through a
W3C VC-API exchange, as the DCC Learner Credential Wallet speaks it.

1. The learner makes an offer (`offer`): a one-time exchange URL with an unguessable id that
   expires in minutes, and the wallet's deep link `https://lcw.app/request?request={
   "credentialRequestOrigin": ..., "protocols": {"vcapi": <exchange URL>}}`.
2. The wallet POSTs `{}` to the exchange URL and gets a `verifiablePresentationRequest` for
   DIDAuthentication with a challenge and a domain (`step`).
3. The wallet POSTs `{"verifiablePresentation": <a presentation signed by its did:key, proof
   purpose authentication, with that challenge and domain>}` and gets back
   `{"verifiablePresentation": {...}}` holding the credentials, each signed by its issuer
   (the same documents as the `ob3` export, with their status list entries).

The presentation's proof may be an eddsa-rdfc-2022 Data Integrity proof, or the
Ed25519Signature2020 proof the wallet's releases sign with (as of its December 2024 source);
the latter's context (https://w3id.org/security/suites/ed25519-2020/v1) must then be in the
standards cache, else the attempt is refused naming it.

No event is recorded: delivering copies of credentials already issued changes nothing in the
learner's record, and the events are the record (a replay of the store must not depend on
which wallets a learner used). The delivery is kept in the exchange's row (when, to which
wallet DID, how many credentials), which the learner reads with `offers`. It is the learner's
own act with their own credentials, so it is not a disclosure to anyone else.
"""

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden, InvalidRequest, LedgerError, NotFound, RuleViolation
from ledger.portability import Portability
from ledger.projections.exports.model import Credential, ExportInput
from ledger.signing import data_integrity, did_key
from ledger.standards import Standards
from ledger.store.wallet_exchanges import ExchangeRow, WalletExchanges
from ledger.urls import PublicUrls

log = logging.getLogger(__name__)

WORKFLOW = "add-to-wallet"
EXCHANGE_MINUTES = 10
MAX_FAILURES = 10  # DIDAuth attempts that fail before the exchange closes
MAX_CHOSEN = 500
MAX_DIDAUTH_BYTES = 16 * 1024
MAX_DIDAUTH_PROOFS = 2
LCW_REQUEST = "https://lcw.app/request"
LCW_LEGACY_REQUEST = "https://lcw.app/request.html"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
# The Data Integrity suites a DIDAuth presentation may be signed with (ledger.signing).
ACCEPTED_CRYPTOSUITES = ({"cryptosuite": data_integrity.CRYPTOSUITE},)


class ExchangeClosed(LedgerError):
    """The exchange was used, has expired, or was closed after failed attempts (410)."""

    title = "Exchange closed"


class DidAuthFailed(InvalidRequest):
    """The wallet's DIDAuth presentation does not prove control of its DID for this
    exchange (422)."""

    title = "DIDAuth failed"


@dataclass(frozen=True)
class Offer:
    id: str
    learner_id: str
    exchange_url: str
    deep_link: str
    legacy_deep_link: str
    expires_at: str
    credential_ids: list[str] | None


def _now() -> datetime:
    return datetime.now(UTC)


class WalletDelivery:
    def __init__(self, exchanges: WalletExchanges, portability: Portability,
                 standards: Standards, urls: PublicUrls,
                 clock: Callable[[], datetime] = _now) -> None:
        self.exchanges = exchanges
        self.portability = portability
        self.standards = standards
        self.urls = urls
        self.clock = clock

    # -- the learner ------------------------------------------------------------------------

    def exchange_url(self, exchange_id: str) -> str:
        return f"{self.urls.base}/v1/workflows/{WORKFLOW}/exchanges/{exchange_id}"

    def deep_link(self, exchange_url: str) -> str:
        request = {"credentialRequestOrigin": self.urls.base,
                   "protocols": {"vcapi": exchange_url}}
        return f"{LCW_REQUEST}?request={quote(orjson.dumps(request).decode(), safe='')}"

    def legacy_deep_link(self, exchange_url: str, challenge: str) -> str:
        """The wallet's older credential request link (DCC's `request` deep link with
        `auth_type=bearer`): the wallet POSTs a presentation signed for `challenge` straight
        to `vc_request_url`, with no presentation request first."""
        query = urlencode({"issuer": self.urls.base, "auth_type": "bearer",
                           "challenge": challenge, "vc_request_url": exchange_url})
        return f"{LCW_LEGACY_REQUEST}?{query}"

    def offer(self, actor: Actor, learner_id: str, credential_ids: list[str] | None) -> Offer:
        """A new exchange for the chosen credentials (None: every one not revoked)."""
        _check_learner(actor, learner_id)
        chosen = None if credential_ids is None else list(dict.fromkeys(credential_ids))
        if chosen is not None and not chosen:
            raise InvalidRequest("choose at least one credential, or leave credential_ids "
                                 "out for all of them")
        if chosen is not None and len(chosen) > MAX_CHOSEN:
            raise InvalidRequest(f"at most {MAX_CHOSEN} credentials in one offer")
        record = self.portability.record(learner_id)
        _deliverable(record, chosen)  # refuses unknown ids and an empty delivery now
        offer_id, exchange_id = uuid.uuid4().hex, secrets.token_urlsafe(32)
        created = self.clock()
        expires = created + timedelta(minutes=EXCHANGE_MINUTES)
        challenge = secrets.token_urlsafe(24)
        self.exchanges.create(offer_id, exchange_id, learner_id, actor.principal_id, chosen,
                              challenge, created, expires)
        log.info("wallet offer %s created", offer_id)
        url = self.exchange_url(exchange_id)
        return Offer(id=offer_id, learner_id=learner_id, exchange_url=url,
                     deep_link=self.deep_link(url),
                     legacy_deep_link=self.legacy_deep_link(url, challenge),
                     expires_at=expires.strftime("%Y-%m-%dT%H:%M:%SZ"), credential_ids=chosen)

    def offers(self, actor: Actor, learner_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The learner's offers, newest first: their state and, once delivered, when, to
        which wallet DID and how many credentials."""
        _check_learner(actor, learner_id)
        now = self.clock()
        return [{"id": row.id, "created_at": row.created_at, "expires_at": row.expires_at,
                 "state": _state(row, now),
                 "credential_ids": None if row.credential_ids is None
                 else list(row.credential_ids),
                 "delivered_at": row.delivered_at, "wallet_did": row.holder,
                 "delivered_count": row.delivered_count}
                for row in self.exchanges.of_learner(learner_id, limit)]

    # -- the wallet -------------------------------------------------------------------------

    def step(self, exchange_id: str, body: Any) -> dict[str, Any]:
        """One POST of the wallet to the exchange: `{}` starts it (the presentation request),
        `{"verifiablePresentation": ...}` answers it (the credentials, wrapped the same way).

        A signed presentation posted bare is the wallet's older credential request flow
        (`legacy_deep_link`): it carries the challenge but no domain, and gets the
        presentation of credentials back bare."""
        if not isinstance(body, dict):
            raise InvalidRequest("the body must be a JSON object")
        row = self.exchanges.find(exchange_id)
        if row is None:
            raise NotFound("no such exchange")
        now = self.clock()
        _check_open(row, now)
        bare = "proof" in body and "verifiablePresentation" not in body
        presentation = body if bare else body.get("verifiablePresentation")
        if presentation is None:
            self.exchanges.mark_requested(row.id, now)
            return {"verifiablePresentationRequest": self.request(row, exchange_id)}
        try:
            holder = self.authenticate(presentation, row, domain_required=not bare)
        except DidAuthFailed:
            self.exchanges.count_failure(row.id)
            log.info("wallet exchange %s: a DIDAuth attempt failed", row.id)
            raise
        record = self.portability.record(row.learner_id)
        items = _deliverable(record, row.credential_ids)
        credentials = [self.portability.signed_ob3(record, item) for item in items]
        if not self.exchanges.claim(row.id, holder, len(credentials), self.clock(),
                                    MAX_FAILURES):
            raise ExchangeClosed("this exchange was used or closed meanwhile: ask the learner "
                                 "for a new offer")
        log.info("wallet exchange %s delivered %d credentials", row.id, len(credentials))
        delivered = {"@context": [VC_V2], "type": ["VerifiablePresentation"],
                     "verifiableCredential": credentials}
        return delivered if bare else {"verifiablePresentation": delivered}

    def request(self, row: ExchangeRow, exchange_id: str) -> dict[str, Any]:
        """The DIDAuthentication request (W3C CCG VP Request Spec), answered at the same URL."""
        endpoint = self.exchange_url(exchange_id)
        return {
            "query": {"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}],
                      "acceptedCryptosuites": list(ACCEPTED_CRYPTOSUITES)},
            "challenge": row.challenge,
            "domain": self.urls.base,
            "interact": {"service": [
                {"type": "VerifiableCredentialApiExchangeService",
                 "serviceEndpoint": endpoint},
                {"type": "UnmediatedPresentationService2021", "serviceEndpoint": endpoint}]},
        }

    def authenticate(self, presentation: Any, row: ExchangeRow, *,
                     domain_required: bool = True) -> str:
        """The holder DID a DIDAuth presentation proves control of, for this exchange's
        challenge and this ledger's domain (when it names one, or `domain_required`);
        DidAuthFailed otherwise."""
        if not isinstance(presentation, dict):
            raise DidAuthFailed("verifiablePresentation must be an object")
        # Its proof is checked here, in the request: only a small, credential-free document
        # is canonicalised (what a wallet sends is well under 2 KiB).
        if len(orjson.dumps(presentation)) > MAX_DIDAUTH_BYTES:
            raise DidAuthFailed(f"a DIDAuth presentation is at most {MAX_DIDAUTH_BYTES} bytes")
        if presentation.get("verifiableCredential"):
            raise DidAuthFailed("a DIDAuth presentation carries no credentials")
        types = presentation.get("type")
        types = types if isinstance(types, list) else [types]
        if "VerifiablePresentation" not in types:
            raise DidAuthFailed("verifiablePresentation is not of type VerifiablePresentation")
        holder = presentation.get("holder")
        holder = holder.get("id") if isinstance(holder, dict) else holder
        if not isinstance(holder, str) or not holder.startswith("did:key:"):
            raise DidAuthFailed("the presentation must name its holder, a did:key DID")
        proofs = data_integrity.proofs_of(presentation)
        if not proofs:
            raise DidAuthFailed("the presentation is not signed")
        if len(proofs) > MAX_DIDAUTH_PROOFS:
            raise DidAuthFailed(f"at most {MAX_DIDAUTH_PROOFS} proofs")
        reasons = []
        for proof in proofs:
            reason = self._proof_problem(presentation, proof, row, holder, domain_required)
            if reason is None:
                return holder
            reasons.append(reason)
        raise DidAuthFailed("; ".join(reasons))

    def _proof_problem(self, presentation: dict[str, Any], proof: Any, row: ExchangeRow,
                       holder: str, domain_required: bool) -> str | None:
        if not isinstance(proof, dict):
            return "a proof must be an object"
        if proof.get("proofPurpose") != "authentication":
            return "the proof's purpose must be authentication"
        if not isinstance(proof.get("challenge"), str) or \
                not secrets.compare_digest(proof["challenge"], row.challenge):
            return "the proof does not carry this exchange's challenge"
        if (domain_required or "domain" in proof) and proof.get("domain") != self.urls.base:
            return f"the proof's domain must be {self.urls.base}"
        method = proof.get("verificationMethod")
        if not isinstance(method, str) or did_key.controller_of(method) != holder:
            return "the proof's key is not the holder's"
        check = data_integrity.check_proof(
            proof, lambda: data_integrity.hash_data(presentation, proof, self.standards),
            legacy=True)
        return None if check.valid else f"the proof does not verify: {check.reason}"


def _check_learner(actor: Actor, learner_id: str) -> None:
    if actor.role != "learner" or actor.scope != learner_id:
        raise Forbidden("only the learner may send their credentials to a wallet")


def _check_open(row: ExchangeRow, now: datetime) -> None:
    state = _state(row, now)
    if state != "open":
        raise ExchangeClosed(f"this exchange is {state}: ask the learner for a new offer")


def _state(row: ExchangeRow, now: datetime) -> str:
    if row.delivered_at is not None:
        return "delivered"
    if row.expired(now):
        return "expired"
    if row.failed_attempts >= MAX_FAILURES:
        return "closed"
    return "open"


def _deliverable(record: ExportInput, chosen: tuple[str, ...] | list[str] | None
                 ) -> list[Credential]:
    """The credentials an offer delivers: the chosen ones, or every one not revoked."""
    if chosen is None:
        items = [c for c in record.credentials if c.status != "revoked"]
    else:
        missing = [c for c in chosen if record.credential(c) is None]
        if missing:
            raise InvalidRequest(f"not in the learner's record: {', '.join(missing)}")
        items = [record.credential(c) for c in chosen]  # type: ignore[misc]
    if not items:
        raise RuleViolation("there is no credential to deliver")
    return items
