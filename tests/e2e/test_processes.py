"""The processes as users and docker-compose.yml start them: `ledger serve`, `ledger
projections run` and `ledger principals create` as separate OS processes over real HTTP."""

import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.store.principals import CACHE_SECONDS
from tests.conftest import free_port
from tests.helpers import PROGRAMME

LEDGER = str(Path(sys.executable).parent / "ledger")


class Process:
    """A ledger command as its own OS process. Its output goes to a file, never a pipe: a
    pipe nobody reads fills after 64 KiB of log lines, and the process then blocks in its next
    log call (which looked like a stalled consumer or API)."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.popen = subprocess.Popen([LEDGER, *args], env=env, stdout=self.output,
                                      stderr=subprocess.STDOUT)

    def written(self) -> str:
        """Everything the process has written so far."""
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as docker stops a container; returns the exit status and the output."""
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
            note = ""
        except subprocess.TimeoutExpired:  # killed, so no test leaves a process behind
            self.popen.kill()
            self.popen.wait()
            note = "\n[did not stop within 30 s of SIGTERM: killed]"
        output = self.written() + note
        self.output.close()
        return self.popen.returncode, output


# uvicorn shuts down gracefully on SIGTERM, then re-raises it: the status is -SIGTERM.
STOPPED_BY_SIGTERM = (0, -signal.SIGTERM)


def wait_until_ready(base_url: str, process: Process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, process.written()
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a condition with a deadline, not a fixed wait
    raise AssertionError("the API did not become ready")


def create_token(env: dict[str, str], role: str, scope: str | None = None) -> str:
    args = [LEDGER, "principals", "create", "--role", role]
    if scope:
        args += ["--scope", scope]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def without_kafka() -> dict[str, str]:
    """These processes run without Kafka even where the developer's shell points at one."""
    return {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}


@pytest.fixture
def production_env(postgres_url: str, tmp_path: Path) -> dict[str, str]:
    return {**without_kafka(), "DATABASE_URL": postgres_url, "LEDGER_ENVIRONMENT": "production",
            "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "LEDGER_DATA_DIR": str(tmp_path)}


@pytest.fixture
def api_and_projector(production_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    api = Process("serve", "--port", str(port), "--no-projections", env=production_env)
    base_url = f"http://127.0.0.1:{port}"
    wait_until_ready(base_url, api)
    projector = Process("projections", "run", env=production_env)
    yield base_url
    assert projector.stop()[0] == 0
    status, output = api.stop()
    assert status in STOPPED_BY_SIGTERM
    assert "every accepted write was committed" in output


def issue_first_credential(http: httpx.Client, env: dict[str, str]) -> tuple[str, dict]:
    """Through the API, with tokens from the CLI: an accredited provider, an approved
    programme, a learner named in Georgian script and one credential. Returns
    (learner id, the issuing response body)."""
    qa = {"Authorization": f"Bearer {create_token(env, 'qa_body')}"}
    provider = http.post("/v1/providers", headers=qa, json={
        "name": "Batumi State Maritime Academy", "country": "GE", "kind": "higher_education"})
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["id"]
    assert http.post(f"/v1/providers/{provider_id}/accreditations", headers=qa, json={
        "valid_from": "2021-01-01", "valid_until": "2029-12-31"}).status_code == 201
    issuer = {"Authorization": f"Bearer {create_token(env, 'provider', provider_id)}"}
    programme = http.post("/v1/microcredentials", headers=issuer,
                          json={**PROGRAMME, "provider_id": provider_id}).json()["id"]
    assert http.post(f"/v1/microcredentials/{programme}/approve", headers=qa, json={
        "approved_on": "2024-02-01", "review_due": "2027-01-31"}).status_code == 200
    learner = http.post("/v1/learners", headers=issuer, json={
        "given_name": "თამარ", "family_name": "ლომიძე", "birth_date": "1999-09-09"}).json()["id"]
    issued = http.post("/v1/credentials", headers=issuer, json={
        "learner_id": learner, "microcredential_id": programme, "awarded_on": "2025-01-20"})
    assert issued.status_code == 201, issued.text
    return learner, issued.json()


def test_a_write_through_the_api_is_read_back_from_the_separate_projector(
        api_and_projector, production_env):
    http = httpx.Client(base_url=api_and_projector, timeout=30)
    learner, issued = issue_first_credential(http, production_env)
    auditor = {"Authorization": f"Bearer {create_token(production_env, 'auditor')}"}
    transcript = http.get(f"/v1/learners/{learner}/transcript", headers=auditor,
                          params={"min_position": issued["position"]})
    assert transcript.status_code == 200, transcript.text
    assert [c["id"] for c in transcript.json()["credentials"]] == [issued["id"]]
    assert transcript.json()["learner"]["given_name"] == "თამარ"


def test_the_embedded_default_serves_demo_data(tmp_path):
    port = free_port()
    env = {k: v for k, v in without_kafka().items()
           if k not in ("DATABASE_URL", "LEDGER_PUBLIC_BASE_URL")}
    api = Process("serve", "--demo", "--port", str(port), "--data-dir", str(tmp_path / "var"),
                  env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, api, seconds=120)
        providers = httpx.get(f"{base_url}/v1/register/providers").json()["items"]
        programmes = httpx.get(f"{base_url}/v1/register/microcredentials").json()["items"]
        assert {"higher_education", "vocational"} <= {p["kind"] for p in providers}
        assert len(programmes) == 8
        # URLs and DIDs are minted for the port it serves on: they resolve here.
        did = f"did:web:127.0.0.1%3A{port}"
        assert httpx.get(f"{base_url}/.well-known/did.json").json()["id"] == did
        profile = httpx.get(f"{base_url}/v1/issuers/{providers[0]['id']}").json()
        assert profile["id"] == f"{base_url}/v1/issuers/{providers[0]['id']}"
        assert profile["did"] == f"{did}:issuers:{providers[0]['id']}"
        assert httpx.get(f"{base_url}/issuers/{providers[0]['id']}/did.json").json()["id"] \
            == profile["did"]
    finally:
        status, output = api.stop()
    assert status in STOPPED_BY_SIGTERM, output
    assert "every accepted write was committed" in output
    assert (tmp_path / "var" / "ledger.sqlite3").exists()


def test_a_revoked_token_is_refused_by_two_api_processes_within_the_cache_time(
        production_env: dict[str, str]):
    """`ledger principals revoke` in a third process: both API processes sharing the store
    answer 401 within CACHE_SECONDS (30 s), though each had the token in its memory."""
    apis = []
    try:
        for _ in range(2):
            port = free_port()
            apis.append((f"http://127.0.0.1:{port}",
                         Process("serve", "--port", str(port), env=production_env)))
            wait_until_ready(*apis[-1])
        token = create_token(production_env, "auditor")
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/v1/learners/{uuid.uuid4()}/transcript"  # 404 once the token is accepted
        for base_url, _ in apis:
            assert httpx.get(base_url + path, headers=headers).status_code == 404
        principal_id = next(row.split("\t")[0] for row in subprocess.run(
            [LEDGER, "principals", "list"], env=production_env, capture_output=True, text=True,
            check=True).stdout.splitlines() if "\tauditor\t" in row)
        subprocess.run([LEDGER, "principals", "revoke", principal_id], env=production_env,
                       check=True, capture_output=True)
        revoked_at = time.monotonic()
        refused: dict[str, float] = {}
        while len(refused) < len(apis):
            assert time.monotonic() - revoked_at < CACHE_SECONDS + 5, (
                f"after {CACHE_SECONDS + 5:.0f} s only {sorted(refused)} refuse the token")
            for base_url, _ in apis:
                if base_url not in refused and httpx.get(
                        base_url + path, headers=headers).status_code == 401:
                    refused[base_url] = time.monotonic() - revoked_at
            time.sleep(0.2)  # polling a condition with a deadline, not a fixed wait
        assert max(refused.values()) <= CACHE_SECONDS + 1, refused
    finally:
        for _, process in apis:
            process.stop()
