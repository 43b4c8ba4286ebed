"""A wallet's side of the "Add to wallet" VC-API exchange, as the DCC Learner Credential
Wallet runs it: open the deep link's `protocols.vcapi` URL with `{}`, answer the DIDAuth
request with a presentation signed by a fresh did:key (tests/js/didauth.mjs: the wallet's own
libraries and Ed25519Signature2020, or Digital Bazaar's @digitalbazaar/vc and eddsa-rdfc-2022),
collect the credentials."""

import json
import shutil
import subprocess
import tempfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import ROOT, STANDARDS

JS = ROOT / "tests" / "js"


def exchange_url_of(deep_link: str) -> str:
    """The VC-API exchange a wallet deep link names (`request={"protocols": {"vcapi": ...}}`)."""
    parts = urlsplit(deep_link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://lcw.app/request"
    request = json.loads(parse_qs(parts.query)["request"][0])
    return request["protocols"]["vcapi"]


DATA_INTEGRITY = "eddsa-rdfc-2022"  # Digital Bazaar's @digitalbazaar/vc
LCW = "Ed25519Signature2020"  # the Learner Credential Wallet's own libraries and suite


def didauth(challenge: str, domain: str | None, suite: str = DATA_INTEGRITY
            ) -> tuple[str, dict[str, Any]]:
    """(holder DID, a DIDAuth presentation signed for this challenge and domain)."""
    holder, presentation, _ = signed_didauth(challenge, domain, suite)
    return holder, presentation


def signed_didauth(challenge: str, domain: str | None, suite: str
                   ) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """didauth, and the contexts the suite brought that the standards folder lacks."""
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test.sh installs it)"
    payload = {"standards": str(STANDARDS), "challenge": challenge, "domain": domain,
               "suite": suite}
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        json.dump(payload, file)
        file.flush()
        done = subprocess.run([node, str(JS / "didauth.mjs"), file.name], cwd=JS,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    return out["holder"], out["verifiablePresentation"], out["contexts"]


def legacy_request_of(deep_link: str) -> dict[str, str]:
    """The parameters of the wallet's older credential request link (`request.html?...`)."""
    parts = urlsplit(deep_link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://lcw.app/request.html"
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def start(url: str) -> dict[str, Any]:
    """The wallet's first POST: `{}`, answered with the presentation request."""
    response = httpx.post(url, json={}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["verifiablePresentationRequest"]


def answer(url: str, presentation: dict[str, Any]) -> httpx.Response:
    return httpx.post(url, json={"verifiablePresentation": presentation}, timeout=60)
