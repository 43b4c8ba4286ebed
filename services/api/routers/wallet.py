"""Add to wallet: a learner's offers, and the VC-API exchange their wallet runs
(ledger/wallet.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from services.api.deps import CurrentActor, LedgerDep, MinPosition
from services.api.openapi import problems
from services.api.responses import FastJSONResponse
from services.api.schemas import Id
from services.web.wallet import qr_svg

router = APIRouter(prefix="/v1", tags=["wallet"])

NO_STORE = {"Cache-Control": "no-store"}


class WalletOfferIn(BaseModel):
    credential_ids: Annotated[list[Id] | None, Field(
        max_length=500, description="the credentials to deliver; left out: every credential "
        "of the learner that is not revoked")] = None


class WalletOfferOut(BaseModel):
    id: str
    learner_id: str
    exchange_url: str = Field(description="the VC-API exchange (one-time; POST {} to start)")
    deep_link: str = Field(description="opens the DCC Learner Credential Wallet on the "
                           "exchange (its `request` link with a `protocols.vcapi` URL)")
    legacy_deep_link: str = Field(description="the wallet's older credential request link "
                                  "(`vc_request_url`, `auth_type=bearer`, `challenge`) to the "
                                  "same exchange")
    qr_svg: str = Field(description="the deep link as a QR code, an inline SVG")
    expires_at: str
    credential_ids: list[str] | None


class WalletOfferState(BaseModel):
    id: str
    created_at: str
    expires_at: str
    state: str = Field(description="open, delivered, expired or closed (too many failed "
                       "DIDAuth attempts)")
    credential_ids: list[str] | None
    delivered_at: str | None
    wallet_did: str | None = Field(description="the DID the wallet authenticated with")
    delivered_count: int | None


class WalletOffersOut(BaseModel):
    offers: list[WalletOfferState]


class ExchangeOut(BaseModel):
    verifiablePresentationRequest: dict[str, Any] | None = None  # noqa: N815 - VC-API's name
    verifiablePresentation: dict[str, Any] | None = None  # noqa: N815


@router.post("/learners/{learner_id}/wallet-offers", status_code=201,
             operation_id="offer_credentials_to_wallet", response_model=WalletOfferOut,
             responses=problems(403, 404, 409))
def offer_credentials_to_wallet(learner_id: str, ledger: LedgerDep, actor: CurrentActor,
                                body: WalletOfferIn | None = None,
                                min_position: MinPosition = None):
    """The learner offers chosen credentials (or all of them) to their wallet: a one-time
    VC-API exchange URL that expires in minutes, the wallet's deep link and its QR code."""
    chosen = body.credential_ids if body is not None else None
    offer = ledger.wallet.offer(actor, learner_id, chosen)
    return FastJSONResponse({
        "id": offer.id, "learner_id": offer.learner_id, "exchange_url": offer.exchange_url,
        "deep_link": offer.deep_link, "legacy_deep_link": offer.legacy_deep_link,
        "qr_svg": qr_svg(offer.deep_link),
        "expires_at": offer.expires_at, "credential_ids": offer.credential_ids},
        status_code=201)


@router.get("/learners/{learner_id}/wallet-offers", operation_id="list_wallet_deliveries",
            response_model=WalletOffersOut, responses=problems(403))
def list_wallet_deliveries(learner_id: str, ledger: LedgerDep, actor: CurrentActor,
                           limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """The learner's offers, newest first, and what each delivered to which wallet."""
    return FastJSONResponse({"offers": ledger.wallet.offers(actor, learner_id, limit)})


EXCHANGE_BODY = Body(default_factory=dict, examples=[{}], description=(
    "`{}` to start (answered with a verifiablePresentationRequest), then "
    "`{\"verifiablePresentation\": ...}`: a presentation signed by the wallet's did:key with "
    "proof purpose authentication and the request's challenge and domain. A signed "
    "presentation posted bare (the older credential request flow) is answered bare"))


@router.post("/workflows/add-to-wallet/exchanges/{exchange_id}",
             operation_id="participate_in_wallet_exchange", response_model=ExchangeOut,
             responses=problems(404, 410, 422))
def participate_in_wallet_exchange(exchange_id: Annotated[str, Path(max_length=100)],
                                   ledger: LedgerDep,
                                   body: Annotated[dict[str, Any], EXCHANGE_BODY]):
    """The wallet's side of a VC-API exchange (no bearer token: the exchange id is the
    secret). The answer holding credentials is never cached."""
    return FastJSONResponse(ledger.wallet.step(exchange_id, body), headers=NO_STORE)
