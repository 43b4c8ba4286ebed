"""A downstream consumer written with the CloudEvents SDK's Kafka binding (cloudevents.v1.kafka,
over bare kafka-python) reads every event of a demo run from ledger.events, as `ledger demo`
seeds it and `ledger relay` publishes it: each with its type, subject and position, its
data equal to the stored event's."""

import base64
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml
from cloudevents.v1.kafka import KafkaMessage, from_binary
from kafka import KafkaConsumer, TopicPartition

from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.domain import catalogue
from ledger.projections.envelope import event_type
from tests.conftest import ROOT
from tests.e2e.test_processes import LEDGER, Process


def stored_events(database_url: str) -> dict[int, tuple[str, str, int, dict]]:
    """Position -> (type, subject, version, data), read from the store itself."""
    settings = Settings(database_url=database_url, data_dir=Path("unused"),
                        kafka_bootstrap_servers=None)
    app = LedgerApplication(env={**settings.eventsourcing_env(), "CREATE_TABLE": "n"})
    try:
        events = {}
        for n in app.recorder.select_notifications(0, 1_000_000):
            _, data = app.mapper.transcoder.decode_event(n.state)
            events[n.id] = (event_type(n.topic), str(n.originator_id), n.originator_version,
                            data)
        return events
    finally:
        app.close()


@pytest.mark.timeout(300)
def test_a_cloudevents_sdk_consumer_reads_every_event_of_a_demo_run(
        postgres_url: str, kafka_bootstrap: str, tmp_path: Path):
    prefix = f"ce{uuid.uuid4().hex[:8]}."
    env = {**os.environ, "DATABASE_URL": postgres_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(tmp_path),
           "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
           "LEDGER_KAFKA_TOPIC_PREFIX": prefix}
    seeded = subprocess.run([LEDGER, "demo"], env=env, capture_output=True, text=True,
                            timeout=240, check=False)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    stored = stored_events(postgres_url)
    assert len(stored) > 50

    relay = Process("relay", env=env)
    topic = prefix + "ledger.events"
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    received = {}
    try:
        deadline = time.monotonic() + 120
        while not consumer.partitions_for_topic(topic):
            assert time.monotonic() < deadline, f"the relay never created {topic}"
            time.sleep(0.1)  # polling a condition with a deadline
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while len(received) < len(stored):
            assert time.monotonic() < deadline, f"{len(received)} of {len(stored)} events"
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    event = from_binary(KafkaMessage(headers=dict(record.headers),
                                                     key=record.key, value=record.value))
                    position = int(event["position"])
                    assert position not in received, f"position {position} twice"
                    received[position] = event
    finally:
        consumer.close()
        code, output = relay.stop()
        assert code == 0, output[-3000:]

    assert sorted(received) == sorted(stored)
    for position, (type_, subject, version, data) in stored.items():
        event = received[position]
        assert event["specversion"] == "1.0"
        assert (event["type"], event["subject"], event["source"]) == (type_, subject,
                                                                        "urn:ledger")
        assert event["id"] == f"{subject}/{version}"
        assert event["datacontenttype"] == "application/json"
        assert event["dataschema"] == catalogue.BY_TYPE[type_].dataschema
        assert event.get_data() == data
    types = {event["type"] for event in received.values()}
    assert {"Provider.Registered", "LearnerRecord.CredentialIssued"} <= types, types
    # The AsyncAPI document names every type the demo produced.
    asyncapi = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    headers = asyncapi["components"]["schemas"]["EventHeaders"]["allOf"][1]["properties"]
    # The type's schema is in the catalogue the event schemas are published with.
    listed, pointer = headers["ce_type"]["$ref"].split("#")
    known = json.loads((ROOT / "docs" / listed).read_text())[pointer.strip("/")]["enum"]
    assert types <= set(known), types - set(known)
    assert {c["address"] for c in asyncapi["channels"].values()} == {
        "ledger.events", "ledger.exports", "ledger.events.dlq"}
