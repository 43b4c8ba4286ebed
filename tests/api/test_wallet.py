"""Add to wallet (SQLite and PostgreSQL): a learner's offer, driven over real HTTP as the DCC
Learner Credential Wallet drives it (deep link, `{}`, DIDAuth signed by a did:key with Digital
Bazaar's @digitalbazaar/vc), returns a VerifiablePresentation whose every credential passes
Digital Bazaar's verifier; used, expired, closed and unknown exchanges, wrong challenges and
domains, and other principals are refused with problem+json."""

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.bootstrap import bootstrap
from ledger.wallet import MAX_FAILURES
from tests.conftest import STANDARDS, ServedLedger, make_settings
from tests.helpers import Api, World, build_world, created, enrol, problem
from tests.outside_verifier import verify_all
from tests.wallet_client import (
    LCW,
    answer,
    didauth,
    exchange_url_of,
    legacy_request_of,
    signed_didauth,
    start,
)


def _offer(world: World, position: int, body: dict | None = None) -> dict:
    response = world.learner.http.post(
        f"/v1/learners/{world.learner_id}/wallet-offers", json=body or {},
        params={"min_position": position},
        headers={"Authorization": f"Bearer {world.learner.token}"})
    return created(response)


def test_a_wallet_collects_every_credential_and_each_passes_digital_bazaars_verifier(
        api: Api, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    world = build_world(api)
    first = world.issue(awarded_on="2025-03-01")
    second = world.issue(awarded_on="2025-04-01", grade="A")
    revoked = world.issue(awarded_on="2025-05-01")
    gone = created(world.provider.post(f"/v1/credentials/{revoked['id']}/revoke",
                                       {"reason": "issued in error"}), 200)
    offer = _offer(world, gone["position"])
    assert offer["credential_ids"] is None and offer["learner_id"] == world.learner_id
    url = exchange_url_of(offer["deep_link"])
    assert url == offer["exchange_url"]
    assert url.startswith(f"{api.base_url}/v1/workflows/add-to-wallet/exchanges/")
    assert "<svg" in offer["qr_svg"]

    request = start(url)
    assert request["query"]["type"] == "DIDAuthentication"
    assert request["domain"] == api.ledger.urls.base
    assert {s["serviceEndpoint"] for s in request["interact"]["service"]} == {url}
    holder, presentation = didauth(request["challenge"], request["domain"])

    response = answer(url, presentation)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    delivered = response.json()["verifiablePresentation"]
    assert "VerifiablePresentation" in delivered["type"]
    credentials = delivered["verifiableCredential"]
    assert sorted(c["id"].rsplit("/", 1)[-1] for c in credentials) == \
        sorted([first["id"], second["id"]])  # the revoked one stays out of "all"
    results = verify_all({f"credential {i}": c for i, c in enumerate(credentials)},
                         api.base_url)
    for name, result in results.items():
        assert result["verified"] is True, (name, result)
        assert result["status"] == {"revocation": False}, (name, result)

    # The same presentation again (a replay), or anyone else: the exchange is used.
    problem(answer(url, presentation), 410)
    problem(httpx.post(url, json={}), 410)

    listed = world.learner.get(f"/v1/learners/{world.learner_id}/wallet-offers")
    assert listed.status_code == 200, listed.text
    [state] = listed.json()["offers"]
    assert state["id"] == offer["id"] and state["state"] == "delivered"
    assert state["wallet_did"] == holder and state["delivered_count"] == 2

    # The server's logs name the offer, never the secrets, the wallet or what was delivered
    # (the test's own HTTP client logs its URLs: not the server's).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith(("httpx", "httpcore")))
    assert f"wallet exchange {offer['id']} delivered 2 credentials" in logged
    secrets = [url.rsplit("/", 1)[-1], request["challenge"], holder.removeprefix("did:key:"),
               first["id"], second["id"], world.learner_id, credentials[0]["proof"][0][
                   "proofValue"]]
    assert [s for s in secrets if s in logged] == []


def test_chosen_credentials_only_and_what_cannot_be_chosen(api: Api):
    world = build_world(api)
    world.issue(awarded_on="2025-03-01")
    chosen = world.issue(awarded_on="2025-04-01")
    offer = _offer(world, chosen["position"], {"credential_ids": [chosen["id"]]})
    assert offer["credential_ids"] == [chosen["id"]]
    request = start(offer["exchange_url"])
    _, presentation = didauth(request["challenge"], request["domain"])
    response = answer(offer["exchange_url"], presentation)
    assert response.status_code == 200, response.text
    [credential] = response.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["id"].endswith(f"/{chosen['id']}")

    nothing = World(api, world.provider_id, world.programme_id, enrol(world.provider))
    other = World(api, world.provider_id, world.programme_id, enrol(world.provider))
    theirs = other.issue()  # after both enrolments: its position covers them
    path = f"/v1/learners/{world.learner_id}/wallet-offers"
    refused = world.learner.http.post(path, json={"credential_ids": [theirs["id"]]},
                                      params={"min_position": theirs["position"]},
                                      headers={"Authorization": f"Bearer {world.learner.token}"})
    assert theirs["id"] in problem(refused, 422)["detail"]
    problem(world.learner.post(path, {"credential_ids": []}), 422)
    empty = nothing.learner.http.post(
        f"/v1/learners/{nothing.learner_id}/wallet-offers", json={},
        params={"min_position": theirs["position"]},
        headers={"Authorization": f"Bearer {nothing.learner.token}"})
    problem(empty, 409)


def test_wrong_challenge_domain_or_signature_is_refused_and_the_exchange_stays_open(api: Api):
    world = build_world(api)
    issued = world.issue()
    offer = _offer(world, issued["position"])
    url = offer["exchange_url"]
    request = start(url)

    _, wrong_challenge = didauth("not-the-challenge", request["domain"])
    assert "challenge" in problem(answer(url, wrong_challenge), 422)["detail"]
    _, wrong_domain = didauth(request["challenge"], "https://elsewhere.example")
    assert "domain" in problem(answer(url, wrong_domain), 422)["detail"]
    _, no_domain = didauth(request["challenge"], None)  # the VC-API flow asked for one
    assert "domain" in problem(answer(url, no_domain), 422)["detail"]
    _, tampered = didauth(request["challenge"], request["domain"])
    tampered["holder"] = didauth(request["challenge"], request["domain"])[0]
    problem(answer(url, tampered), 422)  # the key is not the (new) holder's
    _, forged = didauth(request["challenge"], request["domain"])
    value = forged["proof"]["proofValue"]
    forged["proof"]["proofValue"] = value[:-2] + ("11" if value[-2:] != "11" else "22")
    assert "does not verify" in problem(answer(url, forged), 422)["detail"]
    unsigned = {k: v for k, v in forged.items() if k != "proof"}
    problem(answer(url, unsigned), 422)
    padded = {**good_looking(request), "verifiableCredential": [{"x": "y" * 20_000}]}
    assert "at most" in problem(answer(url, padded), 422)["detail"]
    problem(httpx.post(url, json={"verifiablePresentation": "no"}), 422)
    problem(httpx.post(url, content=b"[1, 2]",
                       headers={"Content-Type": "application/json"}), 422)

    _, good = didauth(request["challenge"], request["domain"])
    response = answer(url, good)
    assert response.status_code == 200, response.text


def good_looking(request: dict) -> dict:
    return didauth(request["challenge"], request["domain"])[1]


def test_expired_closed_and_unknown_exchanges_answer_4xx(api: Api):
    world = build_world(api)
    issued = world.issue()
    offer = _offer(world, issued["position"])
    request = start(offer["exchange_url"])
    _, presentation = didauth(request["challenge"], request["domain"])
    with api.ledger.database.transaction() as cursor:  # as if its ten minutes had passed
        cursor.execute("UPDATE wallet_exchanges SET expires_at = ? WHERE id = ?",
                       ("2000-01-01T00:00:00.000000Z", offer["id"]))
    assert "expired" in problem(answer(offer["exchange_url"], presentation), 410)["detail"]

    closing = _offer(world, issued["position"])
    request = start(closing["exchange_url"])
    _, wrong = didauth("wrong", request["domain"])
    for _ in range(MAX_FAILURES):
        problem(answer(closing["exchange_url"], wrong), 422)
    _, right = didauth(request["challenge"], request["domain"])
    assert "closed" in problem(answer(closing["exchange_url"], right), 410)["detail"]

    states = {o["id"]: o["state"] for o in world.learner.get(
        f"/v1/learners/{world.learner_id}/wallet-offers").json()["offers"]}
    assert states == {offer["id"]: "expired", closing["id"]: "closed"}
    unknown = offer["exchange_url"].rsplit("/", 1)[0] + "/not-an-exchange"
    problem(httpx.post(unknown, json={}), 404)


def test_only_the_learner_offers_or_lists_their_wallet_deliveries(api: Api):
    world = build_world(api)
    world.issue()
    path = f"/v1/learners/{world.learner_id}/wallet-offers"
    other = api.as_("learner", enrol(world.provider))
    for caller in (other, world.provider, api.as_("auditor"), api.as_("admin")):
        problem(caller.post(path, {}), 403)
        problem(caller.get(path), 403)
    problem(api.anonymous().post(path, {}), 401)


def test_wallets_may_call_the_exchange_from_any_origin_but_not_the_offers(api: Api):
    url = f"{api.base_url}/v1/workflows/add-to-wallet/exchanges/abc"
    preflight = httpx.options(url, headers={"Origin": "https://wallet.example",
                                            "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == "*"
    offers = httpx.options(f"{api.base_url}/v1/learners/x/wallet-offers",
                           headers={"Origin": "https://wallet.example",
                                    "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in offers.headers


def _standards_with(folder: Path, extra: dict[str, dict]) -> Path:
    """The standards folder plus contexts (links to its files, an index naming the extra)."""
    folder.mkdir()
    for entry in STANDARDS.iterdir():
        if entry.name != "contexts":
            (folder / entry.name).symlink_to(entry)
    contexts = folder / "contexts"
    contexts.mkdir()
    for entry in (STANDARDS / "contexts").iterdir():
        if entry.name != "index.json":
            (contexts / entry.name).symlink_to(entry)
    index = json.loads((STANDARDS / "contexts" / "index.json").read_text())
    for number, (url, document) in enumerate(extra.items()):
        (contexts / f"extra-{number}.jsonld").write_text(json.dumps(document))
        index[url] = f"extra-{number}.jsonld"
    (contexts / "index.json").write_text(json.dumps(index))
    return folder


@pytest.fixture
def lcw_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """A served ledger (SQLite) whose standards cache also holds the Ed25519Signature2020
    context, taken from the npm package the wallet's signing suite depends on."""
    _, _, contexts = signed_didauth("c", "d", LCW)
    settings = make_settings("sqlite", tmp_path, request).model_copy(
        update={"standards_dir": _standards_with(tmp_path / "standards", contexts)})
    built = bootstrap(settings)
    with ServedLedger(built) as base_url, Api(base_url, built) as client:
        yield client
    built.close()


def test_the_learner_credential_wallets_own_didauth_collects_the_credentials(lcw_api: Api):
    """The wallet's libraries and calls (@digitalcredentials/vc, Ed25519Signature2020); its
    suite's context must be in the ledger's standards cache."""
    world = build_world(lcw_api)
    issued = world.issue()
    offer = _offer(world, issued["position"])
    request = start(offer["exchange_url"])
    holder, presentation = didauth(request["challenge"], request["domain"], LCW)
    assert presentation["proof"]["type"] == LCW
    response = answer(offer["exchange_url"], presentation)
    assert response.status_code == 200, response.text
    [credential] = response.json()["verifiablePresentation"]["verifiableCredential"]
    assert verify_all({"credential": credential}, lcw_api.base_url)["credential"]["verified"]
    listed = world.learner.get(f"/v1/learners/{world.learner_id}/wallet-offers").json()
    assert listed["offers"][0]["wallet_did"] == holder


def test_the_wallets_older_credential_request_flow_collects_every_credential(lcw_api: Api):
    """`request.html?issuer&auth_type=bearer&challenge&vc_request_url`: the wallet POSTs a
    presentation signed for the challenge (no domain) straight to the URL, as its
    requestCredential does, and reads the bare presentation it gets back."""
    world = build_world(lcw_api)
    world.issue(awarded_on="2025-03-01")
    second = world.issue(awarded_on="2025-04-01")
    offer = _offer(world, second["position"])
    params = legacy_request_of(offer["legacy_deep_link"])
    assert params["auth_type"] == "bearer" and params["issuer"] == lcw_api.ledger.urls.base
    assert params["vc_request_url"] == offer["exchange_url"]
    _, presentation = didauth(params["challenge"], None, LCW)
    assert "domain" not in presentation["proof"]
    response = httpx.post(params["vc_request_url"], json=presentation, timeout=60)
    assert response.status_code == 200, response.text
    delivered = response.json()
    assert "VerifiablePresentation" in delivered["type"]
    credentials = delivered["verifiableCredential"]
    assert len(credentials) == 2
    results = verify_all({f"credential {i}": c for i, c in enumerate(credentials)},
                         lcw_api.base_url)
    assert all(r["verified"] for r in results.values()), results
    problem(httpx.post(params["vc_request_url"], json=presentation), 410)  # a replay


def test_without_the_suites_context_the_wallets_didauth_is_refused_saying_so(api: Api):
    world = build_world(api)
    issued = world.issue()
    offer = _offer(world, issued["position"])
    request = start(offer["exchange_url"])
    _, presentation = didauth(request["challenge"], request["domain"], LCW)
    refused = problem(answer(offer["exchange_url"], presentation), 422)
    assert "https://w3id.org/security/suites/ed25519-2020/v1" in refused["detail"]


def test_two_wallets_racing_on_one_exchange_get_one_delivery(api: Api):
    world = build_world(api)
    issued = world.issue()
    offer = _offer(world, issued["position"])
    request = start(offer["exchange_url"])
    presentations = [didauth(request["challenge"], request["domain"])[1] for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def run(presentation: dict) -> None:
        barrier.wait()
        statuses.append(answer(offer["exchange_url"], presentation).status_code)

    threads = [threading.Thread(target=run, args=(p,)) for p in presentations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200, 410]


def test_erasure_deletes_the_learners_offers_and_the_wallets_they_reached(api: Api):
    world = build_world(api)
    issued = world.issue()
    delivered = _offer(world, issued["position"])
    request = start(delivered["exchange_url"])
    assert answer(delivered["exchange_url"],
                  didauth(request["challenge"], request["domain"])[1]).status_code == 200
    pending = _offer(world, issued["position"])
    created(api.as_("admin").post(f"/v1/learners/{world.learner_id}/erase",
                                  {"reason": "data_subject_request"}), 200)
    rows = api.ledger.database.query("SELECT id FROM wallet_exchanges WHERE learner_id = ?",
                                     (world.learner_id,))
    assert rows == []
    problem(httpx.post(pending["exchange_url"], json={}), 404)
