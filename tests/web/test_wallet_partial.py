"""The "Add to wallet" partial in Georgian and English: drawn by Chromium, its QR code read by
Debian's zbarimg as a phone would is the offer's wallet link (as is the API's own QR code), and
axe-core finds nothing serious in it."""

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from ledger.wallet import Offer
from services.web.templating import Templates
from services.web.wallet import offer_partial
from tests.helpers import created
from tests.web.browsing import serious_violations
from tests.web.site import Site

HEADINGS = {"ka": "საფულეში დამატება", "en": "Add to wallet"}
QR_NAMES = {"ka": "QR კოდი: საფულეში დამატება", "en": "QR code: add to wallet"}


def decoded(png: Path) -> list[str]:
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "Debian's zbar-tools is needed (apt-get install zbar-tools)"
    done = subprocess.run([zbarimg, "--raw", "-q", "-Sqrcode.enable", str(png)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr)
    return done.stdout.splitlines()


def _document(language: str, body: str) -> str:
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f"<title>{HEADINGS[language]}</title></head><body><main>{body}</main></body></html>")


@pytest.fixture(scope="module")
def offer(site: Site) -> dict:
    learner = site.api.as_("learner", site.learner_id)
    response = learner.http.post(f"/v1/learners/{site.learner_id}/wallet-offers", json={},
                                 params={"min_position": site.position},
                                 headers={"Authorization": f"Bearer {learner.token}"})
    return created(response)


@pytest.mark.parametrize("language", ["ka", "en"])
def test_the_partial_shows_a_qr_code_of_the_wallet_link_in_each_language(
        offer: dict, browser: Browser, tmp_path: Path, language: str):
    fields = {k: offer[k] for k in ("id", "learner_id", "exchange_url", "deep_link",
                                    "legacy_deep_link", "expires_at", "credential_ids")}
    html = offer_partial(Templates(), language, Offer(**fields))
    assert HEADINGS[language] in html
    assert f'href="{offer["deep_link"].replace("&", "&amp;")}"' in html
    assert offer["expires_at"][11:16] in html
    context = browser.new_context(locale=language)
    page = context.new_page()
    page.set_content(_document(language, html))
    assert page.get_by_role("img", name=QR_NAMES[language], exact=True).count() == 1
    page.locator("svg").screenshot(path=str(tmp_path / "partial.png"))
    assert decoded(tmp_path / "partial.png") == [offer["deep_link"]]
    serious = [v["id"] for v in serious_violations(page)]
    context.close()
    assert serious == []


def test_the_apis_qr_code_is_the_wallet_link(offer: dict, browser: Browser, tmp_path: Path):
    context = browser.new_context()
    page = context.new_page()
    page.set_content(_document("en", offer["qr_svg"]))
    page.locator("svg").screenshot(path=str(tmp_path / "api.png"))
    context.close()
    assert decoded(tmp_path / "api.png") == [offer["deep_link"]]
