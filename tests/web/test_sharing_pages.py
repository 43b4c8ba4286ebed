"""The learner's sharing pages in a real browser (Debian's Chromium through Playwright), signed
in through a real OpenID Provider (scripts/local-idp.sh): a share link made on /me opens in a
fresh anonymous browser (200), answers 410 once revoked, and the learner's disclosure log
lists the anonymous view; grants are made to an organisation chosen by name; axe-core finds
nothing serious on the pages in either language, and they work without JavaScript."""

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor
from services.api.app import create_app
from tests.conftest import STANDARDS, LocalIdp
from tests.helpers import Api, World, build_world, created
from tests.web.browsing import serious_violations, serving
from tests.web.test_pages import strict_parse


@dataclass
class SharingSite:
    base_url: str
    ledger: Ledger
    world: World
    credentials: list[str]
    other_provider: str


@pytest.fixture(scope="module")
def sharing_site(tmp_path_factory: pytest.TempPathFactory, local_idp: LocalIdp,
                 signin_port: int) -> Iterator[SharingSite]:
    """A ledger of its own (SQLite) served on the port the provider's client expects."""
    port = signin_port
    base_url = f"http://127.0.0.1:{port}"
    issuer = local_idp.issuer
    settings = Settings(data_dir=tmp_path_factory.mktemp("sharing-pages"), database_url=None,
                        master_key=base64.b64encode(os.urandom(32)).decode(),
                        kafka_bootstrap_servers=None, standards_dir=STANDARDS,
                        public_base_url=base_url, read_wait_seconds=10,
                        environment="production", oidc_issuer=issuer,
                        oidc_client_id=local_idp.client_id,
                        oidc_client_secret=local_idp.client_secret,
                        session_secret=base64.b64encode(os.urandom(32)).decode())
    ledger = bootstrap(settings)
    try:
        with serving(create_app(ledger, settings=settings), port), Api(base_url, ledger) as api:
            world = build_world(api)
            credentials = [world.issue()["id"], world.issue(awarded_on="2025-05-01")["id"]]
            recognition = created(world.qa.post("/v1/providers", {
                "name": "ENIC-NARIC Georgia", "country": "GE",
                "kind": "recognition_body"}))["id"]
            learner, _ = ledger.principals.create("learner", world.learner_id, "Demo learner")
            ledger.principals.bind(learner.principal_id, issuer, "demo-learner")
            ledger.wait_for(ledger.app.recorder.max_notification_id())
            yield SharingSite(base_url, ledger, world, credentials, recognition)
    finally:
        ledger.close()


def sign_in(page: Page, site: SharingSite, path: str) -> None:
    """Through the real provider: the ledger's sign-in page, the provider's login form, back."""
    page.goto(f"{site.base_url}{path}")
    expect(page).to_have_url(f"{site.base_url}/signin?next={path}")
    page.click("a[href^='/signin/start']")
    page.fill("#login", "learner")
    page.fill("#password", "learner")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.base_url}{path}")


@pytest.fixture
def learner_page(browser: Browser, sharing_site: SharingSite) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, sharing_site, "/me/share-links")
    yield page
    context.close()


def test_a_share_link_made_on_me_opens_anonymously_until_revoked_and_is_logged(
        sharing_site: SharingSite, learner_page: Page, browser: Browser):
    site, page = sharing_site, learner_page
    expect(page.locator("h1")).to_have_text("Share links")
    page.check("#scope-chosen")
    page.check(f"input[name=credential_ids][value='{site.credentials[0]}']")
    page.fill("#audience", "Bank of Georgia recruitment")
    page.click("button:has-text('Make the link')")
    link = page.locator("#new-link").get_attribute("href")
    assert link and link.startswith(f"{site.base_url}/shared/")

    anonymous = browser.new_context(locale="en-GB")
    stranger = anonymous.new_page()
    response = stranger.goto(link)
    assert response is not None and response.status == 200
    expect(stranger.locator("h1")).to_have_text("Shared credentials")
    expect(stranger.locator("main")).to_contain_text(site.credentials[0])
    expect(stranger.locator("main")).not_to_contain_text(site.credentials[1])

    page.goto(f"{site.base_url}/me/share-links")
    page.click("button:has-text('Withdraw the link for Bank of Georgia recruitment')")
    expect(page.locator("table")).to_contain_text("Revoked")
    response = stranger.goto(link)
    assert response is not None and response.status == 410
    expect(stranger.locator("h1")).to_have_text("This link is no longer available")
    anonymous.close()

    page.goto(f"{site.base_url}/me/disclosures")
    row = page.locator("#disclosures tbody tr").first
    expect(row).to_contain_text("Someone with your share link")
    expect(row).to_contain_text("Your link for Bank of Georgia recruitment")
    expect(row).to_contain_text("1 credential")


def test_a_grant_is_made_to_an_organisation_chosen_by_name_and_ended(
        sharing_site: SharingSite, learner_page: Page):
    site, page = sharing_site, learner_page
    page.goto(f"{site.base_url}/me/grants")
    page.select_option("#grantee_id", label="ENIC-NARIC Georgia (recognition body)")
    page.fill("#note", "recognition of prior learning")
    page.click("form[action='/me/grants'] button[type=submit]")
    expect(page.locator("table")).to_contain_text("ENIC-NARIC Georgia")
    expect(page.locator("table")).to_contain_text("Active")
    grants = site.ledger.sharing.grants(Actor("auditor-1", "auditor"), site.world.learner_id)
    assert [(g["grantee_id"], g["state"]) for g in grants][:1] == [
        (site.other_provider, "active")]
    page.click("button:has-text('End access for ENIC-NARIC Georgia')")
    expect(page.locator("table")).to_contain_text("Revoked")


@pytest.mark.parametrize("language", ["ka", "en"])
def test_axe_finds_nothing_serious_on_the_sharing_pages(sharing_site: SharingSite,
                                                        browser: Browser, language: str):
    site = sharing_site
    context = browser.new_context(locale=language)
    page = context.new_page()
    sign_in(page, site, "/me/share-links")
    page.check("#scope-whole")
    page.fill("#audience", "a university")
    page.click("form[action='/me/share-links'] button[type=submit]")
    link = page.locator("#new-link").get_attribute("href")
    found = {}
    for path in ("/me/share-links?after-create", link, "/me/grants", "/me/disclosures",
                 "/shared/unknown-link", "/me/share-links"):
        if path != "/me/share-links?after-create":
            page.goto(path if path.startswith("http") else f"{site.base_url}{path}")
        serious = serious_violations(page)
        if serious:
            found[path] = serious
    context.close()
    assert not found, found


def test_the_sharing_pages_work_without_javascript_and_are_strict_html5(
        sharing_site: SharingSite, browser: Browser):
    site = sharing_site
    context = browser.new_context(java_script_enabled=False, locale="en")
    page = context.new_page()
    sign_in(page, site, "/me/share-links")
    page.check("#scope-whole")
    page.fill("#audience", "no script")
    with page.expect_response(lambda r: r.request.method == "POST") as made:
        page.click("form[action='/me/share-links'] button[type=submit]")
    assert made.value.status == 201
    strict_parse(made.value.text())
    link = page.locator("#new-link").get_attribute("href")
    for path in ("/me/share-links", "/me/grants", "/me/disclosures", link,
                 "/shared/unknown-link"):
        url = path if path.startswith("http") else f"{site.base_url}{path}"
        response = page.goto(url)
        assert response is not None and response.status in (200, 404), path
        expect(page.locator("h1")).to_be_visible()
        strict_parse(response.text())
    context.close()


def test_not_a_learner_and_not_signed_in(sharing_site: SharingSite, browser: Browser):
    context = browser.new_context(locale="en")
    page = context.new_page()
    response = page.goto(f"{sharing_site.base_url}/me/disclosures")
    assert response is not None
    expect(page).to_have_url(f"{sharing_site.base_url}/signin?next=/me/disclosures")
    context.close()
