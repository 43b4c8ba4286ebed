"""The "Add to wallet" partial: an offer's QR code (SVG, drawn by segno) and link, for the
learner's pages; `qr_svg` is also what the API returns with an offer."""

from typing import Any

import segno
from markupsafe import Markup, escape

from services.web.templating import Templates

PARTIAL = "wallet_offer.html"


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
