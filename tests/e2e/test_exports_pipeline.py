"""The exporter as its own process: after a revocation through the API, a downstream consumer
of ledger.exports receives the learner's updated exports."""

import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from ledger.status_lists import bit_set, decode
from tests.conftest import free_port
from tests.e2e.test_kafka_pipeline import pipeline_env  # noqa: F401 (a fixture)
from tests.e2e.test_processes import (
    Process,
    create_token,
    issue_first_credential,
    wait_until_ready,
)


@pytest.fixture
def exporting_pipeline(pipeline_env: dict[str, str]) -> Iterator[str]:  # noqa: F811
    port = free_port()
    api = Process("serve", "--port", str(port), env=pipeline_env)
    base_url = f"http://127.0.0.1:{port}"
    wait_until_ready(base_url, api)
    workers = [Process("relay", env=pipeline_env), Process("projector", env=pipeline_env),
               Process("exporter", env=pipeline_env)]
    yield base_url
    for name, worker in zip(("relay", "projector", "exporter", "api"), [*workers, api],
                            strict=True):
        status, output = worker.stop()
        print(f"--- {name} exited {status}:\n{output[-3000:]}")  # shown when a test fails


def exports_of(bootstrap: str, topic: str, learner: str, until, seconds: float = 90) -> dict:
    """Reads ledger.exports from the start until a message for the learner satisfies `until`."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    deadline = time.monotonic() + seconds
    while not consumer.partitions_for_topic(topic):
        assert time.monotonic() < deadline, f"no topic {topic}"
        time.sleep(0.1)  # polling a condition with a deadline
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    seen = []
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for message in batch:
                    manifest = orjson.loads(message.value)
                    seen.append((message.key, manifest["position"]))
                    if message.key == learner.encode() and until(manifest):
                        return manifest
        raise AssertionError(f"no export of learner {learner} on {topic} satisfied the test; "
                             f"seen (key, position): {seen}")
    finally:
        consumer.close()


def test_a_downstream_consumer_gets_the_updated_exports_after_a_revocation(
        exporting_pipeline, pipeline_env):  # noqa: F811
    http = httpx.Client(base_url=exporting_pipeline, timeout=60)
    learner, issued = issue_first_credential(http, pipeline_env)
    topic = pipeline_env["LEDGER_KAFKA_TOPIC_PREFIX"] + "ledger.exports"
    bootstrap = pipeline_env["KAFKA_BOOTSTRAP_SERVERS"]

    first = exports_of(bootstrap, topic, learner, lambda m: m["position"] >= issued["position"])
    assert first["credentials"] == [{"id": issued["id"], "status": "active"}]
    ob3 = orjson.loads(first["exports"]["ob3"]["content"])
    assert ob3[0]["credentialStatus"]["statusPurpose"] == "revocation"
    assert "თამარ" in first["exports"]["clr"]["content"]

    qa = {"Authorization": f"Bearer {create_token(pipeline_env, 'qa_body')}"}
    revoked = http.post(f"/v1/credentials/{issued['id']}/revoke", headers=qa,
                        json={"reason": "issued in error"})
    assert revoked.status_code == 200, revoked.text
    after = exports_of(bootstrap, topic, learner,
                       lambda m: m["position"] >= revoked.json()["position"])
    assert after["credentials"] == [{"id": issued["id"], "status": "revoked"}]
    assert after["exports"]["ob3"]["sha256"] == first["exports"]["ob3"]["sha256"]
    entry = ob3[0]["credentialStatus"]
    status_list = http.get(entry["statusListCredential"].replace("http://localhost:8000",
                                                                 exporting_pipeline))
    assert status_list.status_code == 200, status_list.text
    bits = decode(status_list.json()["credentialSubject"]["encodedList"])
    assert bit_set(bits, int(entry["statusListIndex"]))
