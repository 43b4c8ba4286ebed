"""Signing in on the pages and the learner's own pages: a browser signs in through a real
OpenID Provider (scripts/local-idp.sh, its login form filled in) and reads the learner's
record with names, history, recognitions, pathway progress and downloads; an account bound to
nobody gets a page saying so; forms without the session's CSRF token are refused; the
development sign-in exists in development only; a revoked principal is signed out."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.application import Ledger
from ledger.config import Settings
from services.api.app import create_app
from services.web.signin import safe_next
from tests.conftest import LocalIdp, free_port
from tests.helpers import created, enrol
from tests.web.browsing import serious_violations, serving
from tests.web.site import Site
from tests.web.test_pages import strict_parse

BODY_NAME = "ENIC-NARIC Georgia Recognition Office"
PATHWAY = "Certificate in Public Data Practice"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Record:
    learner_id: str
    principal_id: str
    credential_id: str
    provider_id: str


def web_settings(environment: str, base_url: str, idp: LocalIdp) -> Settings:
    return Settings(environment=environment, public_base_url=base_url,
                    oidc_issuer=idp.issuer, oidc_client_id=idp.client_id,
                    oidc_client_secret=idp.client_secret, session_secret="test-" + "s" * 40)


@pytest.fixture(scope="module")
def ledger(site: Site) -> Ledger:
    return site.api.ledger


@pytest.fixture(scope="module")
def signin_url(ledger: Ledger, local_idp: LocalIdp, signin_port: int) -> Iterator[str]:
    """The pages, in development, with sign-in through the local OpenID Provider."""
    base = f"http://127.0.0.1:{signin_port}"
    with serving(create_app(ledger, settings=web_settings("development", base, local_idp)),
                 signin_port) as url:
        yield url


@pytest.fixture(scope="module")
def production_url(ledger: Ledger, local_idp: LocalIdp) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(create_app(ledger, settings=web_settings("production", base, local_idp)),
                 port) as url:
        yield url


@pytest.fixture(scope="module")
def record(site: Site, ledger: Ledger, local_idp: LocalIdp) -> Record:
    """A learner of the university with one credential that was suspended, reinstated,
    corrected and recognised, halfway along a pathway; their principal is bound to the
    provider's demo learner."""
    api = site.api
    university = site.providers["university"]
    provider = api.as_("provider", university)
    learner_id = enrol(provider)
    issued = created(provider.post("/v1/credentials", {
        "learner_id": learner_id, "microcredential_id": site.programmes["data"],
        "awarded_on": "2025-10-01", "grade": "B"}))
    credential = issued["id"]
    for action, reason in (("suspend", "Assessment under investigation"),
                           ("reinstate", "Investigation closed")):
        assert provider.post(f"/v1/credentials/{credential}/{action}",
                             {"reason": reason}).status_code == 200
    corrected = provider.post(f"/v1/credentials/{credential}/correct",
                              {"grade": "A", "reason": "Appeal upheld"})
    assert corrected.status_code == 200, corrected.text
    body = created(api.as_("admin").post("/v1/providers", {
        "name": BODY_NAME, "country": "GE", "kind": "recognition_body"}))["id"]
    recognised = created(api.as_("recognition_body", body).post("/v1/recognitions", {
        "credential_id": credential, "decision": "recognised",
        "toward": "BSc Public Administration", "ects_recognised": 5.0,
        "decided_on": "2025-11-03", "reference": "ENIC-GE/2025/0101"}))
    ledger.wait_for(recognised["position"])
    actor, _ = ledger.create_principal("learner", learner_id, "Nino Beridze")
    ledger.principals.bind(actor.principal_id, local_idp.issuer, "demo-learner")
    return Record(learner_id, actor.principal_id, credential, university)


def sign_in_at_the_provider(page: Page, login: str, password: str) -> None:
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_a_learner_signs_in_through_the_openid_provider_and_reads_their_record(
        signin_url: str, record: Record, local_idp: LocalIdp, page: Page, shots):
    page.goto(f"{signin_url}/me")
    expect(page).to_have_url(re.compile(r"/signin\?next=/me$"))
    shots.take(page, "1-sign-in")
    page.click("text=Sign in with your national eID")
    expect(page).to_have_url(re.compile(rf"^{re.escape(local_idp.issuer)}/interaction/"))
    sign_in_at_the_provider(page, "learner", "learner")
    expect(page).to_have_url(f"{signin_url}/me")
    main = page.locator("main")
    expect(page.locator("h1")).to_have_text("Your record of achievement")
    expect(page.locator("header")).to_contain_text("Signed in as Nino Beridze")
    expect(main).to_contain_text("ნინო ბერიძე")
    expect(main).to_contain_text("Data Literacy for Public Servants")
    expect(main).to_contain_text("Ivane Javakhishvili Tbilisi State University")
    expect(main).to_contain_text(f"1 of 2 toward {PATHWAY}")
    history = page.locator(f"section[aria-labelledby='credential-{record.credential_id}'] tbody")
    expect(history.locator("tr td:first-child")).to_have_text(
        ["Issued", "Suspended", "Reinstated", "Corrected"])
    expect(main).to_contain_text(f"Recognised: by {BODY_NAME} toward BSc Public Administration")
    assert record.provider_id not in main.inner_text()  # names, never UUIDs
    shots.take(page, "2-record")
    with page.expect_download() as download:
        page.click("text=Transcript (PDF, with verification codes)")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as download:
        page.click("text=Comprehensive Learner Record (CLR 2.0, signed)")
    assert b"ClrCredential" in Path(download.value.path()).read_bytes()
    page.click("header button:has-text('Sign out')")
    expect(page.locator("header")).to_contain_text("Sign in")
    page.goto(f"{signin_url}/me")
    expect(page).to_have_url(re.compile(r"/signin\?next=/me$"))


def test_an_account_bound_to_nobody_gets_a_page_saying_so(signin_url: str, page: Page,
                                                          shots):
    page.goto(f"{signin_url}/signin/start?next=/me")
    sign_in_at_the_provider(page, "stranger", "stranger")
    expect(page.locator("h1")).to_have_text("Your account is not linked")
    expect(page.locator("main")).to_contain_text("unlinked-person")
    shots.take(page, "unlinked")
    response = page.goto(f"{signin_url}/me")
    assert response is not None and "/signin" in response.url  # still signed out


def test_a_wrong_password_is_refused_by_the_provider(signin_url: str, page: Page):
    page.goto(f"{signin_url}/signin/start")
    sign_in_at_the_provider(page, "learner", "not-the-password")
    expect(page.locator("[role=alert]")).to_have_text("Wrong username or password.")


def dev_sign_in(http: httpx.Client, principal_id: str) -> httpx.Response:
    listed = http.get("/signin/dev")
    assert listed.status_code == 200
    token = TOKEN.search(listed.text).group(1)
    return http.post("/signin/dev", data={"csrf_token": token, "principal_id": principal_id,
                                          "next": "/me"})


def test_forms_without_the_sessions_csrf_token_are_refused(signin_url: str, record: Record):
    with httpx.Client(base_url=signin_url) as http:
        refused = http.post("/signin/dev", data={"principal_id": record.principal_id})
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "security token" in refused.text and "<h1>" in refused.text
        forged = http.post("/signin/dev", data={"principal_id": record.principal_id,
                                                "csrf_token": "20990101000000##0000"})
        assert forged.status_code == 403
        assert http.get("/me").status_code == 303  # not signed in by either
        signed_in = dev_sign_in(http, record.principal_id)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me"
        assert http.get("/me").status_code == 200
        assert http.post("/signout").status_code == 403  # sign-out is a form too
        assert http.get("/me").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_lax(signin_url: str, record: Record):
    with httpx.Client(base_url=signin_url) as http:
        response = dev_sign_in(http, record.principal_id)
        header = response.headers["set-cookie"].lower()
        assert "ledger_session=" in header and "httponly" in header
        assert "samesite=lax" in header and "max-age=" in header
        assert "secure" not in header  # served over http here; https turns it on


def test_the_development_sign_in_lists_principals_and_signs_in_with_one_click(
        signin_url: str, record: Record, page: Page, shots):
    page.goto(f"{signin_url}/signin")
    page.click("text=Sign in as a demo person")
    expect(page.locator("h1")).to_have_text("Sign in as a demo person")
    shots.take(page, "dev-sign-in")
    page.click("button:has-text('Sign in as Nino Beridze')")
    expect(page.locator("h1")).to_have_text("Your record of achievement")


def test_the_development_sign_in_is_not_found_in_production(production_url: str,
                                                            record: Record):
    with httpx.Client(base_url=production_url) as http:
        page = http.get("/signin/dev")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        signin = http.get("/signin")
        assert signin.status_code == 200 and "/signin/dev" not in signin.text
        assert "Sign in with your national eID" in signin.text or "ეროვნული" in signin.text


def test_a_revoked_principal_is_signed_out_at_the_next_request(signin_url: str,
                                                               ledger: Ledger, record: Record):
    actor, _ = ledger.create_principal("learner", record.learner_id, "Second device")
    with httpx.Client(base_url=signin_url) as http:
        assert dev_sign_in(http, actor.principal_id).status_code == 303
        assert http.get("/me").status_code == 200
        ledger.principals.revoke(actor.principal_id)
        gone = http.get("/me")
        assert gone.status_code == 303 and gone.headers["location"] == "/signin?next=/me"


def test_someone_who_is_not_a_learner_gets_a_page_for_their_role(signin_url: str,
                                                                 ledger: Ledger, site: Site):
    actor, _ = ledger.create_principal("provider", site.providers["college"], "College desk")
    with httpx.Client(base_url=signin_url, headers={"Accept-Language": "en"}) as http:
        assert dev_sign_in(http, actor.principal_id).status_code == 303
        page = http.get("/me")
        assert page.status_code == 200
        assert "You are signed in as Provider (registrar)" in page.text
        assert http.get("/me/exports/pdf").status_code == 404


@pytest.mark.parametrize("language", ["ka", "en"])
def test_axe_finds_no_serious_violation_on_the_sign_in_and_learner_pages(
        signin_url: str, record: Record, browser: Browser, shots, language: str):
    context = browser.new_context(locale=language)
    page = context.new_page()
    found = {}
    for number, path in enumerate(["/signin", "/signin/dev", "/me", "/signin?after"]):
        if path == "/me":
            page.goto(f"{signin_url}/signin/dev")
            page.click(f"form:has(input[value='{record.principal_id}']) button")
        elif path == "/signin?after":  # signed in: the header's sign-out form
            page.goto(f"{signin_url}/signin")
        else:
            page.goto(f"{signin_url}{path}")
        serious = serious_violations(page)
        if serious:
            found[path] = serious
        shots.take(page, f"{number:02d}")
    context.close()
    assert not found, found


@pytest.mark.parametrize(("asked", "followed"), [
    ("/me", "/me"), ("/register?q=data", "/register?q=data"), (None, "/me"),
    ("https://evil.example/", "/me"), ("//evil.example/me", "/me"), ("/\\evil.example", "/me"),
    ("/signin/dev", "/me"), ("/signout", "/me")])
def test_after_signing_in_only_a_path_of_this_site_is_followed(asked: str | None,
                                                               followed: str):
    assert safe_next(asked) == followed


def test_the_session_cookie_is_secure_when_the_public_url_is_https(ledger: Ledger,
                                                                   local_idp: LocalIdp,
                                                                   record: Record):
    port = free_port()
    settings = web_settings("development", "https://ledger.example.ge", local_idp)
    with serving(create_app(ledger, settings=settings), port) as url, \
            httpx.Client(base_url=url) as http:
        header = dev_sign_in(http, record.principal_id).headers["set-cookie"].lower()
        assert "; secure" in header and "httponly" in header


def test_sign_in_through_a_provider_needs_a_session_secret_outside_development():
    with pytest.raises(ValueError, match="LEDGER_SESSION_SECRET"):
        Settings(environment="production", oidc_issuer="https://eid.example.ge",
                 oidc_client_id="ledger")
    assert Settings(environment="production").oidc_issuer is None  # no sign-in: no secret


def test_a_callback_that_does_not_belong_to_a_sign_in_is_a_page_not_an_error(
        signin_url: str):
    with httpx.Client(base_url=signin_url, headers={"Accept-Language": "en"}) as http:
        for query in ("?code=forged&state=forged", "?error=access_denied&state=x", ""):
            answer = http.get(f"/signin/callback{query}")
            assert answer.status_code == 400, query
            assert "Sign-in did not complete" in answer.text


def test_an_unreachable_provider_is_said_so(ledger: Ledger, local_idp: LocalIdp):
    port, closed = free_port(), free_port()
    settings = Settings(public_base_url=f"http://127.0.0.1:{port}",
                        oidc_issuer=f"http://127.0.0.1:{closed}", oidc_client_id="ledger")
    with serving(create_app(ledger, settings=settings), port) as url, \
            httpx.Client(base_url=url, headers={"Accept-Language": "en"}) as http:
        answer = http.get("/signin/start")
        assert answer.status_code == 503
        assert "cannot be reached" in answer.text


def test_the_discovery_document_may_come_from_an_address_of_its_own(ledger: Ledger,
                                                                    local_idp: LocalIdp):
    """LEDGER_OIDC_METADATA_URL (compose: Keycloak as keycloak:8080): the ledger reads the
    provider's endpoints there, not under the issuer (here a closed port)."""
    port, closed = free_port(), free_port()
    settings = Settings(public_base_url=f"http://127.0.0.1:{port}",
                        oidc_issuer=f"http://127.0.0.1:{closed}", oidc_client_id="ledger",
                        oidc_metadata_url=f"{local_idp.issuer}/.well-known/openid-configuration")
    with serving(create_app(ledger, settings=settings), port) as url, \
            httpx.Client(base_url=url, headers={"Accept-Language": "en"}) as http:
        answer = http.get("/signin/start")
        assert answer.status_code == 302, answer.text
        assert answer.headers["location"].startswith(f"{local_idp.issuer}/auth?")
        assert "code_challenge_method=S256" in answer.headers["location"]


def test_signing_in_and_the_record_work_with_javascript_disabled(signin_url: str,
                                                                 record: Record,
                                                                 browser: Browser):
    context = browser.new_context(java_script_enabled=False, locale="en")
    page = context.new_page()
    page.goto(f"{signin_url}/signin/dev?next=/me")
    page.click(f"form:has(input[value='{record.principal_id}']) button")
    expect(page.locator("h1")).to_have_text("Your record of achievement")
    expect(page.locator("main")).to_contain_text(f"1 of 2 toward {PATHWAY}")
    page.click("header button:has-text('Sign out')")
    expect(page.locator("header")).to_contain_text("Sign in")
    context.close()


@pytest.mark.parametrize("language", ["ka", "en"])
def test_the_sign_in_and_learner_pages_are_strict_html5(signin_url: str, record: Record,
                                                        language: str):
    with httpx.Client(base_url=signin_url, params={"lang": language}) as http:
        for path in ("/signin", "/signin/dev"):
            strict_parse(http.get(path).text)
        assert dev_sign_in(http, record.principal_id).status_code == 303
        for path in ("/me", "/signin", "/me/exports/no-such-format"):
            strict_parse(http.get(path).text)
        strict_parse(http.post("/signout").text)  # the 403 page, without a token


def test_the_json_api_neither_reads_nor_writes_the_session(signin_url: str, record: Record):
    with httpx.Client(base_url=signin_url) as http:
        assert dev_sign_in(http, record.principal_id).status_code == 303
        answer = http.get(f"/v1/learners/{record.learner_id}/transcript")
        assert answer.status_code == 401  # a session is no bearer token
        assert "set-cookie" not in answer.headers
