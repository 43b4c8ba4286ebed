"""The pages in a real browser (Debian's Chromium through Playwright): search with filters,
programme and provider pages, the verification pages, uploads, the language switch, and
axe-core's accessibility rules on every page in both languages."""

import json

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browsing import serious_violations
from tests.web.site import Site


def test_search_with_filters_leads_to_a_programme_and_its_provider(site: Site, page: Page,
                                                                   shots):
    page.goto(f"{site.base_url}/register")
    expect(page.locator("h1")).to_have_text("Search the register")
    page.select_option("#eqf_level", "6")
    page.select_option("#participation_form", "blended")
    page.select_option("#provider_id", site.providers["university"])
    page.fill("#ects_min", "5")
    page.click("button:has-text('Apply filters')")
    expect(page.locator("#results-heading")).to_have_text("1 programme found")
    shots.take(page, "1-search")
    page.click("text=Applied Machine Learning")
    expect(page.locator("h1")).to_have_text("Applied Machine Learning")
    expect(page.locator("main")).to_contain_text("Certificate in Public Data Practice")
    expect(page.locator("main")).to_contain_text("31 May 2028")  # the review due date
    shots.take(page, "2-programme")
    page.click("main >> text=Ivane Javakhishvili Tbilisi State University")
    expect(page.locator("h1")).to_have_text("Ivane Javakhishvili Tbilisi State University")
    expect(page.locator("main")).to_contain_text("NCEQE-2030-88")
    expect(page.locator("main")).to_contain_text("Micro-credentials in ICT and public")
    expect(page.locator("main a:has-text('Applied Machine Learning')")).to_be_visible()
    shots.take(page, "3-provider")


def test_register_pages_through_results_and_shows_a_lapsed_review(site: Site, page: Page,
                                                                  shots):
    page.goto(f"{site.base_url}/register")
    first = page.locator(".result h3").all_inner_texts()
    assert len(first) == 20
    page.click("a[rel=next]")
    second = page.locator(".result h3").all_inner_texts()
    assert second and not set(first) & set(second)
    assert len(first) + len(second) == 24  # every approved programme, once
    page.goto(f"{site.base_url}/register?status=review_due")
    expect(page.locator(".result h3")).to_have_text(["Forklift Safety"])
    shots.take(page, "review-due")


@pytest.mark.parametrize(("status", "headline"), [
    ("active", "This credential is valid"),
    ("suspended", "This credential is suspended"),
    ("revoked", "This credential has been revoked"),
])
def test_the_verification_page_says_the_status_in_one_line(site: Site, page: Page, shots,
                                                           status: str, headline: str):
    page.goto(f"{site.base_url}/verify/{site.credentials[status]}")
    expect(page.locator("h1")).to_have_text(headline)
    expect(page.locator("main")).to_contain_text("Data Literacy for Public Servants")
    expect(page.locator("main")).to_contain_text("Ivane Javakhishvili Tbilisi State University")
    expect(page.locator("main")).to_contain_text("The provider was accredited.")
    expect(page.locator("main")).to_contain_text("The programme was approved.")
    shots.take(page, status)


def _upload(page: Page, site: Site, name: str, document: dict) -> None:
    page.goto(f"{site.base_url}/verify")
    page.set_input_files("#document", files=[{"name": name, "mimeType": "application/json",
                                              "buffer": json.dumps(document).encode()}])
    page.click("form[action='/verify'] button[type=submit]")


def test_uploading_a_genuine_ob3_passes_and_a_tampered_one_fails(site: Site, page: Page, shots):
    genuine = site.ob3("active")
    _upload(page, site, "badge.json", genuine)
    expect(page.locator("h1")).to_have_text("The credential is genuine and valid")
    expect(page.locator(".check-failed")).to_have_count(0)
    expect(page.locator(".check-passed")).to_have_count(6)
    shots.take(page, "genuine")

    tampered = json.loads(json.dumps(genuine))
    tampered["credentialSubject"]["achievement"]["name"] = "Doctorate in Everything"
    _upload(page, site, "tampered.json", tampered)
    expect(page.locator("h1")).to_have_text("The credential failed the check")
    expect(page.locator(".check-failed")).to_contain_text(
        ["The signature is intact (nothing was changed after signing)"])
    shots.take(page, "tampered")

    _upload(page, site, "revoked.json", site.ob3("revoked"))
    expect(page.locator("h1")).to_have_text("The credential failed the check")
    expect(page.locator(".check-failed")).to_contain_text(["It has not been revoked"])
    expect(page.locator(".check-passed").first).to_contain_text("The signature is intact")


def test_an_upload_that_is_not_json_is_shown_as_an_error_on_the_form(site: Site, page: Page):
    page.goto(f"{site.base_url}/verify")
    page.fill("#text", "not a credential")
    page.click("form[action='/verify'] button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("The file is not JSON")
    expect(page.locator("#text")).to_have_value("not a credential")


def test_the_language_switch_changes_the_page_and_is_remembered(site: Site, page: Page, shots):
    page.goto(f"{site.base_url}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("text=ქართული")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    expect(page.locator("h1")).to_have_text("მიკროკრედენციალების ეროვნული რეესტრი")
    shots.take(page, "home-ka")
    page.click("nav >> text=რეესტრში ძებნა")  # the cookie keeps Georgian on the next page
    expect(page.locator("h1")).to_have_text("რეესტრში ძებნა")
    shots.take(page, "register-ka")
    page.click("text=English")
    expect(page.locator("h1")).to_have_text("Search the register")


def test_a_georgian_browser_gets_georgian_pages(site: Site, browser: Browser):
    context = browser.new_context(locale="ka-GE")
    page = context.new_page()
    page.goto(f"{site.base_url}/verify/{site.credentials['revoked']}")
    expect(page.locator("h1")).to_have_text("ეს კრედენციალი გაუქმებულია")
    context.close()


def page_paths(site: Site) -> list[str]:
    """Every page, once (a second status of the verification page, the register's review
    due view)."""
    return ["/", "/register", "/register?status=review_due", "/providers",
            f"/providers/{site.providers['university']}", f"/programmes/{site.programmes['ml']}",
            f"/verify/{site.credentials['active']}", f"/verify/{site.credentials['revoked']}",
            "/verify"]


ERROR_PAGES = ["/register?eqf_level=9", "/programmes/no-such-programme"]


@pytest.mark.parametrize("language", ["ka", "en"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page(site: Site, browser: Browser,
                                                                shots, language: str):
    context = browser.new_context(locale=language)
    page = context.new_page()
    found = {}
    paths = [*page_paths(site), *ERROR_PAGES, "/verify?upload"]
    for number, path in enumerate(paths):
        if path == "/verify?upload":  # the result of an upload, then the form with errors
            _upload(page, site, "badge.json", site.ob3("active"))
        else:
            page.goto(f"{site.base_url}{path}")
        serious = serious_violations(page)
        if serious:
            found[path] = serious
        shots.take(page, f"{number:02d}")
    context.close()
    assert not found, found


def test_every_page_works_with_javascript_disabled(site: Site, browser: Browser):
    context = browser.new_context(java_script_enabled=False, locale="en")
    page = context.new_page()
    for path in page_paths(site):
        response = page.goto(f"{site.base_url}{path}")
        assert response is not None and response.status == 200, path
        expect(page.locator("h1")).to_be_visible()
    response = page.goto(f"{site.base_url}/verify")
    page.fill("#text", json.dumps(site.ob3("active")))
    page.click("form[action='/verify'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("The credential is genuine and valid")
    context.close()
