"""docker-compose.yml as compose-go (the loader of `docker compose config`) reads it: valid, a
health check on every service, workers with a metrics and health port, and the master key only
where it is used (the API and the exporter). Uses `docker compose config` where the plugin is
installed, else the small compose-go validator in tests/compose (`go run`)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

VALIDATOR = ROOT / "tests" / "compose"
ENV = "POSTGRES_PASSWORD=test-password\nLEDGER_MASTER_KEY=test-key\nKAFKA_CLUSTER_ID=test-cluster\n"
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
    assert WORKERS | {"api", "postgres", "kafka", "kafka-topics"} == set(services)
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
