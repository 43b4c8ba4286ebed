"""Add to wallet on the learner's pages: the partial (an offer's QR code, drawn by segno, and
its link), and /me/wallet, where a form (CSRF-checked) makes an offer of every credential not
revoked and shows it beside the learner's earlier offers. `qr_svg` is also what the API
returns with an offer."""

from typing import Any

import segno
from fastapi import APIRouter, Request
from markupsafe import Markup, escape

from ledger.domain.actors import Actor
from ledger.domain.errors import NotFound
from services.api.deps import LedgerDep
from services.web.pages import render
from services.web.session import CsrfChecked, SignedIn
from services.web.templating import Templates

PARTIAL = "wallet_offer.html"
router = APIRouter(include_in_schema=False)


def qr_svg(link: str, label: str = "Add to wallet") -> str:
    """An inline SVG QR code of the link (error correction M, a 4-module quiet zone), an
    image named by `label` for screen readers."""
    code = segno.make(link, error="m", micro=False)
    svg = code.svg_inline(scale=4, border=4, svgclass="wallet-qr-code")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def offer_partial(templates: Templates, language: str, offer: Any) -> Markup:
    """The partial for one offer (ledger.wallet.Offer): its QR code, the link a phone opens,
    and when it expires, in the page's language."""
    chosen = offer.credential_ids
    html = templates.render(language, PARTIAL, offer=offer,
                            count=len(chosen) if chosen else 0,
                            qr=lambda label: Markup(  # noqa: S704 - segno's SVG, label escaped
                                qr_svg(offer.deep_link, label)))
    return Markup(html)  # noqa: S704 - rendered with autoescape


@router.get("/me/wallet")
def my_wallet(request: Request, actor: SignedIn, ledger: LedgerDep):
    """The learner's wallet codes: a form to make one, and the earlier ones' outcomes."""
    return _page(request, ledger, actor, offer=None)


@router.post("/me/wallet")
def make_wallet_offer(request: Request, actor: SignedIn, ledger: LedgerDep, _: CsrfChecked):
    """A new offer of every credential not revoked, shown as a QR code and a link."""
    offer = ledger.wallet.offer(actor, _learner(actor), None)
    return _page(request, ledger, actor, offer=offer)


def _page(request: Request, ledger: Any, actor: Actor, offer: Any):
    learner_id = _learner(actor)
    offers = ledger.wallet.offers(actor, learner_id)
    return render(request, "me_wallet.html", offer=offer, offers=offers,
                  partial=(lambda language: offer_partial(request.app.state.templates,
                                                          language, offer)) if offer else None)


def _learner(actor: Actor) -> str:
    if actor.role != "learner" or not actor.scope:
        raise NotFound("only a learner has credentials to add to a wallet")
    return actor.scope
