"""The learner's /me/wallet page: signed in (the development sign-in), the learner follows the
link on /me, makes a wallet code with the page's form (CSRF-checked), and a phone's camera
(zbarimg on Chromium's drawing) reads the wallet link from the QR code; a wallet that follows
it collects the credentials, and the page then lists the delivery. axe-core finds nothing
serious on the page before and after, in Georgian and English, and it is strict HTML5."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.application import Ledger
from ledger.config import Settings
from ledger.domain.actors import Actor
from services.api.app import create_app
from tests.conftest import free_port
from tests.wallet_client import answer, didauth, exchange_url_of, start
from tests.web.browsing import serious_violations, serving
from tests.web.site import Site
from tests.web.test_pages import strict_parse
from tests.web.test_wallet_partial import decoded

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def pages_url(site: Site) -> Iterator[str]:
    """The site's ledger served in development (its sign-in lists the principals)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(environment="development", public_base_url=base,
                        session_secret="test-" + "w" * 40)
    with serving(create_app(site.api.ledger, settings=settings), port) as served:
        yield served


@pytest.fixture(scope="module")
def learner_principal(site: Site) -> str:
    ledger: Ledger = site.api.ledger
    ledger.wait_for(site.position)
    actor, _ = ledger.create_principal("learner", site.learner_id, "Wallet Learner")
    return actor.principal_id


def _sign_in(page: Page, pages_url: str, principal_id: str) -> None:
    page.goto(f"{pages_url}/signin/dev")
    page.click(f"form:has(input[value='{principal_id}']) button")
    expect(page).to_have_url(f"{pages_url}/me")


def _axe(page: Page) -> list[str]:
    return [v["id"] for v in serious_violations(page)]


def test_a_learner_makes_a_wallet_code_and_a_wallet_collects_their_credentials(
        pages_url: str, site: Site, learner_principal: str, browser: Browser, shots,
        tmp_path: Path):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, pages_url, learner_principal)
    page.click("text=Add your credentials to the Learner Credential Wallet on your phone")
    expect(page).to_have_url(f"{pages_url}/me/wallet")
    expect(page.locator("h1")).to_have_text("Add your credentials to a wallet")
    page.click("button:has-text('Make a wallet code')")
    expect(page.locator("main h2")).to_have_text("Add to wallet")
    shots.take(page, "wallet-code")
    page.locator("svg.wallet-qr-code").screenshot(path=str(tmp_path / "code.png"))
    [link] = decoded(tmp_path / "code.png")
    assert page.get_by_role("link", name="Open in the wallet").get_attribute("href") == link

    url = exchange_url_of(link)  # the phone's wallet takes it from here
    request = start(url)
    holder, presentation = didauth(request["challenge"], request["domain"])
    response = answer(url, presentation)
    assert response.status_code == 200, response.text
    delivered = response.json()["verifiablePresentation"]["verifiableCredential"]
    assert len(delivered) == 2  # the active and the suspended credential, not the revoked

    page.goto(f"{pages_url}/me/wallet")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text(holder)
    shots.take(page, "wallet-delivered")
    context.close()


@pytest.mark.parametrize("language", ["ka", "en"])
def test_axe_finds_nothing_serious_on_the_wallet_page(pages_url: str, learner_principal: str,
                                                      browser: Browser, language: str):
    context = browser.new_context(locale=language)
    page = context.new_page()
    _sign_in(page, pages_url, learner_principal)
    found = {}
    page.goto(f"{pages_url}/me/wallet")
    found["form"] = _axe(page)
    page.click("form[action='/me/wallet'] button")
    expect(page.locator("svg.wallet-qr-code")).to_have_count(1)
    found["code"] = _axe(page)
    context.close()
    assert found == {"form": [], "code": []}


def test_the_wallet_form_needs_the_sessions_csrf_token_and_a_learner(
        pages_url: str, site: Site, learner_principal: str):
    with httpx.Client(base_url=pages_url, headers={"Accept-Language": "en"}) as http:
        assert http.get("/me/wallet").status_code == 303  # not signed in
        listed = http.get("/signin/dev")
        signed_in = http.post("/signin/dev", data={
            "csrf_token": TOKEN.search(listed.text).group(1),
            "principal_id": learner_principal, "next": "/me"})
        assert signed_in.status_code == 303
        before = len(site.api.ledger.wallet.offers(_learner(site), site.learner_id))
        refused = http.post("/me/wallet", data={})
        assert refused.status_code == 403 and "security token" in refused.text
        forged = http.post("/me/wallet", data={"csrf_token": "20990101000000##0000"})
        assert forged.status_code == 403
        assert len(site.api.ledger.wallet.offers(_learner(site), site.learner_id)) == before
        form = http.get("/me/wallet")
        made = http.post("/me/wallet", data={"csrf_token": TOKEN.search(form.text).group(1)})
        assert made.status_code == 200 and "https://lcw.app/request?request=" in made.text
        assert made.headers["cache-control"] == "no-store"

    actor, _ = site.api.ledger.create_principal("provider", site.providers["college"], "Desk")
    with httpx.Client(base_url=pages_url) as http:
        listed = http.get("/signin/dev")
        http.post("/signin/dev", data={"csrf_token": TOKEN.search(listed.text).group(1),
                                       "principal_id": actor.principal_id, "next": "/me"})
        assert http.get("/me/wallet").status_code == 404


def _learner(site: Site) -> Actor:
    return Actor("test", "learner", site.learner_id)


@pytest.mark.parametrize("language", ["ka", "en"])
def test_the_wallet_page_is_strict_html5(pages_url: str, learner_principal: str,
                                         language: str):
    with httpx.Client(base_url=pages_url, params={"lang": language}) as http:
        listed = http.get("/signin/dev")
        assert http.post("/signin/dev", data={
            "csrf_token": TOKEN.search(listed.text).group(1),
            "principal_id": learner_principal, "next": "/me"}).status_code == 303
        form = http.get("/me/wallet")
        strict_parse(form.text)
        made = http.post("/me/wallet", data={"csrf_token": TOKEN.search(form.text).group(1)})
        assert made.status_code == 200 and "<svg" in made.text
        strict_parse(made.text)
