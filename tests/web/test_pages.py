"""The pages over plain HTTP: strict HTML5 in both languages, the language choice, the QR
target's JSON for programs, errors as pages, local assets only."""

import re

import html5lib
import httpx
import pytest

from services.web import register as register_pages
from tests.helpers import problem
from tests.web.test_browser import ERROR_PAGES, page_paths


def strict_parse(html: str) -> None:
    """html5lib's strict mode raises on the first parse error (WHATWG HTML)."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)


@pytest.mark.parametrize("language", ["ka", "en"])
def test_every_page_is_strict_html5_in_both_languages(site, language: str):
    with httpx.Client(base_url=site.base_url, cookies={"lang": language}) as http:
        for path in page_paths(site) + ERROR_PAGES:
            response = http.get(path)
            assert response.status_code in (200, 404, 422), path
            assert response.headers["content-type"].startswith("text/html"), path
            assert f'<html lang="{language}">' in response.text, path
            strict_parse(response.text)
        uploaded = http.post("/verify", files={"document": ("x.json", b"{}")})
        assert uploaded.status_code == 422
        strict_parse(uploaded.text)


def test_strict_parsing_rejects_a_broken_page():
    with pytest.raises(html5lib.html5parser.ParseError):
        strict_parse("<!DOCTYPE html><html lang=en><title>x</title><p><b>bold</p>")


@pytest.mark.parametrize(("accept_language", "expected"), [
    ("ka-GE,ka;q=0.9,en;q=0.8", "ka"), ("en-US,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9,en;q=0.5", "en"), ("de", "ka"), ("en;q=0.3,ka;q=0.8", "ka"),
])
def test_accept_language_chooses_the_page_language(site, accept_language: str, expected: str):
    response = httpx.get(f"{site.base_url}/", headers={"Accept-Language": accept_language})
    assert response.headers["content-language"] == expected
    assert f'<html lang="{expected}">' in response.text


def test_lang_in_the_query_sets_a_cookie_that_beats_accept_language(site):
    with httpx.Client(base_url=site.base_url, headers={"Accept-Language": "en"}) as http:
        chosen = http.get("/providers", params={"lang": "ka"})
        assert chosen.cookies["lang"] == "ka"
        assert http.get("/").headers["content-language"] == "ka"


@pytest.mark.parametrize(("language", "heading"), [
    ("en", "More than 1 programmes found"), ("ka", "მოიძებნა 1-ზე მეტი პროგრამა")])
def test_the_search_page_counts_up_to_its_cap_and_says_more_beyond(
        site, monkeypatch: pytest.MonkeyPatch, language: str, heading: str):
    exact = httpx.get(f"{site.base_url}/register", cookies={"lang": "en"}).text
    assert "More than" not in exact and re.search(r"\b[2-9]\d* programmes found", exact)
    monkeypatch.setattr(register_pages, "COUNTED_UP_TO", 1)
    capped = httpx.get(f"{site.base_url}/register", cookies={"lang": language}).text
    assert heading in capped


def test_the_qr_target_answers_json_like_the_api(site):
    for status, credential_id in site.credentials.items():
        page = httpx.get(f"{site.base_url}/verify/{credential_id}",
                         headers={"Accept": "application/json"})
        api = httpx.get(f"{site.base_url}/v1/verify/{credential_id}")
        assert page.headers["content-type"].startswith("application/json")
        assert page.json() == api.json()
        assert page.json()["status"] == status


def test_unknown_things_are_404_pages_for_people_and_problems_for_programs(site):
    html = httpx.get(f"{site.base_url}/verify/no-such-credential?lang=en")
    assert html.status_code == 404 and "Page not found" in html.text
    problem(httpx.get(f"{site.base_url}/verify/no-such-credential",
                      headers={"Accept": "application/json"}), 404)
    problem(httpx.get(f"{site.base_url}/v1/register/microcredentials/none"), 404)


@pytest.mark.parametrize("query", ["eqf_level=nine", "ects_min=-1", "status=everything",
                                   "field=6", "participation_form=carrier-pigeon",
                                   "cursor=%25%25"])
def test_bad_filters_are_a_422_page_saying_what_is_wrong(site, query: str):
    response = httpx.get(f"{site.base_url}/register?{query}&lang=en")
    assert response.status_code == 422, response.text
    assert "There is a problem with the request" in response.text


def test_no_page_loads_anything_from_another_host(site):
    with httpx.Client(base_url=site.base_url) as http:
        for path in [*page_paths(site), "/docs", "/redoc"]:
            text = http.get(path).text
            for url in re.findall(r'(?:src|href)="([^"]+)"', text):
                assert url.startswith(("/", "#", "?")), (path, url)
                if url.startswith("/static/"):
                    assert http.get(url).status_code == 200, url


def test_an_upload_over_the_limit_is_refused_before_it_is_read(site):
    big = b"[" + b"0," * (1536 * 1024) + b"0]"  # 3 MB
    response = httpx.post(f"{site.base_url}/verify?lang=en", files={"document": ("x.json", big)})
    assert response.status_code == 413
    assert "The file must be smaller than 2 MB" in response.text
    strict_parse(response.text)
