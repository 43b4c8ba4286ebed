"""What an operator runs the pipeline with, as docker-compose.yml starts it (separate OS
processes over a real PostgreSQL and broker): the relay and the projector start and serve with
no master key in production mode; every process logs JSON lines only, with a request id and an
access line per request, and no learner's name in any line (the demo's name lists are grepped);
workers serve /healthz and /metrics; /readyz checks Kafka; the metrics follow the conventions."""

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.demo import FAMILY, GIVEN_FEMALE, GIVEN_MALE
from tests.conftest import STANDARDS, free_port
from tests.e2e.test_processes import create_token, issue_first_credential

LEDGER = str(Path(sys.executable).parent / "ledger")
NAMES = {*GIVEN_FEMALE, *GIVEN_MALE, *FAMILY}


class Logged:
    """A `ledger` process whose stderr (its log) goes to a file, read back after it stops."""

    def __init__(self, folder: Path, name: str, *args: str, env: dict[str, str]) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        self.popen = subprocess.Popen([LEDGER, *args], env=env, stdout=subprocess.DEVNULL,
                                      stderr=self.log.open("w"))

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()

    def lines(self) -> list[str]:
        return [line for line in self.log.read_text(encoding="utf-8").splitlines() if line]


def wait_for(url: str, process: Logged, seconds: float = 90) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        assert process.popen.poll() is None, process.log.read_text()[-3000:]
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered 200"
        time.sleep(0.1)  # polling a condition with a deadline, not a fixed wait


@pytest.fixture
def env(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": postgres_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(tmp_path / "data"),
            "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "LEDGER_KAFKA_TOPIC_PREFIX": f"ops{uuid.uuid4().hex[:8]}.",
            "LEDGER_READ_WAIT_SECONDS": "30", "LEDGER_STANDARDS_DIR": str(STANDARDS)}


@pytest.fixture
def processes(env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, object]]:
    started: list[Logged] = []
    port = free_port()
    api = Logged(tmp_path, "api", "serve", "--port", str(port), env=env)
    started.append(api)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/readyz", api)
    without_key = {k: v for k, v in env.items() if k != "LEDGER_MASTER_KEY"}
    ports = {name: free_port() for name in ("relay", "projector", "exporter")}
    workers = {
        "relay": Logged(tmp_path, "relay", "relay", "--metrics-port", str(ports["relay"]),
                        env=without_key),
        "projector": Logged(tmp_path, "projector", "projector", env={
            **without_key, "LEDGER_METRICS_PORT": str(ports["projector"])}),
        "exporter": Logged(tmp_path, "exporter", "exporter", "--metrics-port",
                           str(ports["exporter"]), env=env),
    }
    started += workers.values()
    try:
        yield {"base": base, "ports": ports, "workers": workers, "all": started}
    finally:
        for process in reversed(started):
            process.stop()


def test_workers_without_the_master_key_json_logs_without_names(processes, env) -> None:
    base, ports, workers = processes["base"], processes["ports"], processes["workers"]
    for name in ("relay", "projector", "exporter"):
        health = wait_for(f"http://127.0.0.1:{ports[name]}/healthz", workers[name]).json()
        assert health["status"] == "ok" and health["checks"]["kafka"] is True, health
    http = httpx.Client(base_url=base, timeout=60)
    learner, issued = issue_first_credential(http, env)  # a learner named from the demo lists
    auditor = {"Authorization": f"Bearer {create_token(env, 'auditor')}",
               "X-Request-ID": "audit-7f3a"}
    read = http.get(f"/v1/learners/{learner}/transcript", headers=auditor,
                    params={"min_position": issued["position"]})
    assert read.status_code == 200, read.text  # the key-less projector served it
    assert read.headers["x-request-id"] == "audit-7f3a"
    assert read.json()["learner"]["given_name"] == "თამარ"
    assert http.get(f"/v1/learners/{learner}/exports/pdf", headers=auditor).status_code == 200
    refused = http.post("/v1/learners", headers=auditor, json={
        "given_name": "ნინო", "family_name": "ბერიძე", "birth_date": "not a date"})
    assert refused.status_code in (403, 422)
    generated = http.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["x-request-id"]) == 32  # replaced by a generated one

    ready = http.get("/readyz").json()
    assert ready["kafka"] == "ok", ready
    api_metrics = http.get("/metrics").text
    for name in ("ledger_build_info{", "ledger_http_request_duration_seconds_bucket{",
                 "ledger_store_head_position ", "ledger_committer_queue_depth "):
        assert name in api_metrics, name
    assert "ledger_http_request_seconds" not in api_metrics
    relay_metrics = httpx.get(f"http://127.0.0.1:{ports['relay']}/metrics").text
    assert "ledger_store_head_position " in relay_metrics and "ledger_build_info{" in relay_metrics

    for process in processes["all"]:
        assert process.stop() in (0, -signal.SIGTERM), process.log.read_text()[-3000:]
    access = []
    for process in processes["all"]:
        lines = process.lines()
        assert lines, f"{process.name} logged nothing"
        for line in lines:
            try:
                record = json.loads(line)  # every line is one JSON object
            except ValueError:
                pytest.fail(f"{process.name} wrote a line that is not JSON: {line}")
            assert {"time", "level", "logger", "message"} <= set(record), line
            assert record["process"] in ("api", "relay", "projector", "exporter"), line
            assert not any(name in line for name in NAMES), f"{process.name}: {line}"
            assert not record["logger"].startswith("fontTools"), line
            if record["logger"] == "ledger.access":
                access.append(record)
    assert {"method": "GET", "route": "/v1/learners/{learner_id}/transcript", "status": 200,
            "request_id": "audit-7f3a"}.items() <= next(
        r for r in access if r["request_id"] == "audit-7f3a").items()
    assert all(learner not in r["message"] and learner not in r["route"] for r in access)
    assert all(isinstance(r["duration_ms"], float) for r in access)
