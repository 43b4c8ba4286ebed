"""The production pipeline as separate OS processes: the API, the relay and the Kafka-fed
projector (docker-compose.yml's entry points), over a real PostgreSQL and a real broker."""

import base64
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import STANDARDS, free_port
from tests.e2e.test_processes import (
    STOPPED_BY_SIGTERM,
    Process,
    create_token,
    issue_first_credential,
    wait_until_ready,
)


@pytest.fixture
def pipeline_env(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": postgres_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(tmp_path),
            "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            # Own topics and groups on the shared broker; room for the consumers to join.
            "LEDGER_KAFKA_TOPIC_PREFIX": f"e2e{uuid.uuid4().hex[:8]}.",
            "LEDGER_READ_WAIT_SECONDS": "30", "LEDGER_STANDARDS_DIR": str(STANDARDS)}


@pytest.fixture
def pipeline(pipeline_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    api = Process("serve", "--port", str(port), env=pipeline_env)
    base_url = f"http://127.0.0.1:{port}"
    wait_until_ready(base_url, api)
    metrics_port = free_port()
    workers = [Process("relay", env=pipeline_env),
               Process("projector", "--metrics-port", str(metrics_port), env=pipeline_env)]
    pipeline_env["TEST_METRICS_URL"] = f"http://127.0.0.1:{metrics_port}/metrics"
    yield base_url
    for worker in workers:
        status, output = worker.stop()
        assert status == 0, output
    status, output = api.stop()
    assert status in STOPPED_BY_SIGTERM, output


def test_a_write_is_visible_in_the_transcript_read_with_min_position(pipeline, pipeline_env):
    http = httpx.Client(base_url=pipeline, timeout=60)
    learner, issued = issue_first_credential(http, pipeline_env)

    reader = {"Authorization": f"Bearer {create_token(pipeline_env, 'learner', learner)}"}
    transcript = http.get(f"/v1/learners/{learner}/transcript", headers=reader,
                          params={"min_position": issued["position"]})
    assert transcript.status_code == 200, transcript.text
    assert [c["id"] for c in transcript.json()["credentials"]] == [issued["id"]]
    verified = http.get(f"/v1/verify/{issued['id']}", params={"min_position": issued["position"]})
    assert verified.status_code == 200 and verified.json()["status"] == "active"
    deadline = time.monotonic() + 30
    lag_metric = 'ledger_projection_lag_events{projection="transcripts"}'
    while lag_metric not in httpx.get(pipeline_env["TEST_METRICS_URL"]).text:
        assert time.monotonic() < deadline, "the projector exported no lag metric"
        time.sleep(0.1)  # polling a condition with a deadline
