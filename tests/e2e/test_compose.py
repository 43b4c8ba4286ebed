"""docker-compose.yml as compose-go (the loader of `docker compose config`) reads it: valid, a
health check on every service, workers with a metrics and health port, the master key only
where it is used (the API and the exporter), and Keycloak's realm wired to the API's sign-in.
Uses `docker compose config` where the plugin is installed, else the small compose-go validator
in tests/compose (`go run`)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

VALIDATOR = ROOT / "tests" / "compose"
ENV = ("POSTGRES_PASSWORD=test-password\nLEDGER_MASTER_KEY=test-key\n"
       "KAFKA_CLUSTER_ID=test-cluster\n"
       "LEDGER_OIDC_CLIENT_SECRET=test-client-secret\nLEDGER_SESSION_SECRET=test-session\n"
       "KEYCLOAK_ADMIN_PASSWORD=test-admin\n")
REALM = ROOT / "deploy" / "keycloak" / "ledger-realm.json"
WORKERS = {"relay", "projector", "exporter", "projector-transcripts", "projector-register",
           "projector-status"}


def _compose_config(env_file: Path) -> subprocess.CompletedProcess:
    args = ["-f", str(ROOT / "docker-compose.yml"), "--env-file", str(env_file),
            "--profile", "per-projection"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"],
                                 capture_output=True).returncode == 0:
        return subprocess.run([docker, "compose", *args, "config", "--format", "json"],
                              capture_output=True, text=True, timeout=120)
    go = shutil.which("go")
    assert go, "neither the docker compose plugin nor Go (for tests/compose) is installed"
    return subprocess.run([go, "run", ".", *args], cwd=VALIDATOR, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text(ENV)
    done = _compose_config(env_file)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_service_has_a_health_check(project: dict) -> None:
    services = project["services"]
    assert WORKERS | {"api", "postgres", "kafka", "kafka-topics", "keycloak"} == set(services)
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_workers_serve_health_on_their_metrics_port(project: dict) -> None:
    for name in WORKERS:
        service = project["services"][name]
        assert service["environment"]["LEDGER_METRICS_PORT"] == "9100"
        assert "http://127.0.0.1:9100/healthz" in " ".join(service["healthcheck"]["test"])


def test_only_the_api_and_the_exporter_get_the_master_key(project: dict) -> None:
    holders = {name for name, service in project["services"].items()
               if "LEDGER_MASTER_KEY" in (service.get("environment") or {})}
    assert holders == {"api", "exporter"}


def test_a_missing_secret_is_refused(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(ENV.replace("POSTGRES_PASSWORD=test-password\n", ""))
    done = _compose_config(env_file)
    assert done.returncode != 0 and "POSTGRES_PASSWORD" in done.stderr


def test_a_missing_sign_in_secret_is_refused(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(ENV.replace("LEDGER_OIDC_CLIENT_SECRET=test-client-secret\n", ""))
    done = _compose_config(env_file)
    assert done.returncode != 0 and "LEDGER_OIDC_CLIENT_SECRET" in done.stderr


def test_the_api_signs_in_through_the_keycloak_service(project: dict) -> None:
    """The issuer is Keycloak's public URL with the realm, the discovery document comes from
    inside the network, and both sides hold the same client id and secret."""
    api = project["services"]["api"]["environment"]
    keycloak = project["services"]["keycloak"]
    env = keycloak["environment"]
    assert keycloak["command"] == ["start-dev", "--import-realm"]
    realm = json.loads(REALM.read_text())["realm"]
    assert api["LEDGER_OIDC_ISSUER"] == f"{env['KC_HOSTNAME']}/realms/{realm}"
    assert api["LEDGER_OIDC_METADATA_URL"] == (
        f"http://keycloak:8080/realms/{realm}/.well-known/openid-configuration")
    assert api["LEDGER_OIDC_CLIENT_ID"] == env["LEDGER_OIDC_CLIENT_ID"]
    assert api["LEDGER_OIDC_CLIENT_SECRET"] == env["LEDGER_OIDC_CLIENT_SECRET"] == (
        "test-client-secret")
    assert api["LEDGER_PUBLIC_BASE_URL"] == env["LEDGER_PUBLIC_BASE_URL"]
    assert env["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"
    assert env["KC_HEALTH_ENABLED"] == "true"
    assert "/opt/keycloak/data/import/ledger-realm.json" in {
        volume["target"] for volume in keycloak["volumes"]}


def test_the_realm_file_reads_only_what_keycloak_is_given(project: dict) -> None:
    """Every ${VAR} placeholder of the realm file is set in the keycloak service; the client
    is confidential with PKCE S256 and its redirect under the ledger's public URL."""
    text = REALM.read_text()
    env = project["services"]["keycloak"]["environment"]
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert placeholders and placeholders <= set(env), placeholders - set(env)
    (client,) = json.loads(text)["clients"]
    assert client["publicClient"] is False and client["secret"] == "${LEDGER_OIDC_CLIENT_SECRET}"
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert client["redirectUris"] == ["${LEDGER_PUBLIC_BASE_URL}/signin/callback"]
    assert client["directAccessGrantsEnabled"] is False
    assert client["implicitFlowEnabled"] is False
