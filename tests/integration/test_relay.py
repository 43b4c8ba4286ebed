"""The relay publishes every stored event to a real Kafka broker: an independent consumer
(bare kafka-python, not the project's code) sees each position exactly once, in order within
each key, as CloudEvents in binary content mode (or, asked for, envelope 1)."""

import threading
import time
import uuid
from collections import defaultdict

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaTimeoutError

from ledger.domain import catalogue
from ledger.kafka import ensure_topics, relay_producer
from services.relay.relay import Relay
from tests.helpers import build_world


def consume_all(bootstrap: str, topic: str, expected: int, seconds: float = 60) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=1000)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    messages, deadline = [], time.monotonic() + seconds
    while len(messages) < expected and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
    consumer.close()
    return messages


@pytest.fixture
def topic_prefix(kafka_bootstrap: str) -> str:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(kafka_bootstrap, partitions=4, prefix=prefix)
    return prefix


def test_an_independent_consumer_sees_every_stored_event_once_in_order_per_key(
        pg_api, kafka_bootstrap, topic_prefix):
    world = build_world(pg_api)
    for _ in range(3):
        learners = [world.new_learner() for _ in range(10)]
        for learner_id in learners:
            credential = world.issue(learner_id=learner_id)
            world.provider.post(f"/v1/credentials/{credential['id']}/suspend", {"reason": "r"})
    ledger = pg_api.ledger
    head = ledger.app.recorder.max_notification_id()
    topic = topic_prefix + "ledger.events"
    producer = relay_producer(kafka_bootstrap, "test-relay")
    relay = Relay(ledger.app, ledger.database, producer, topic=topic, batch_size=25)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        messages = consume_all(kafka_bootstrap, topic, expected=head)
    finally:
        stop.set()
        worker.join(timeout=30)
        producer.close()

    positions = [int(dict(m.headers)["ce_position"]) for m in messages]
    stored = {n.id: n for n in ledger.app.recorder.select_notifications(0, head + 1)}
    assert sorted(positions) == sorted(stored)  # every stored event, each exactly once
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for message in messages:
        headers = {name: value.decode() for name, value in message.headers}
        notification = stored[int(headers["ce_position"])]
        assert headers["ce_specversion"] == "1.0"
        assert headers["content-type"] == "application/json"
        assert headers["ce_source"] == "urn:ledger"
        assert message.key.decode() == headers["ce_subject"] == str(notification.originator_id)
        assert headers["ce_type"] == catalogue.BY_TOPIC[notification.topic].type
        assert headers["ce_id"] == f"{headers['ce_subject']}/{notification.originator_version}"
        assert headers["ce_time"].endswith("+00:00")
        assert isinstance(orjson.loads(message.value), dict)  # the data alone
        by_key[message.key].append(int(headers["ce_streamversion"]))
    assert all(versions == sorted(versions) for versions in by_key.values())
    assert relay.position == head
    # A restarted relay's watermarks still name every partition written before the restart.
    restarted = Relay(ledger.app, ledger.database, producer, topic=topic)
    assert restarted.last_offsets == relay.last_offsets and len(relay.last_offsets) > 1


def test_envelope_1_is_still_published_when_asked_for(pg_api, kafka_bootstrap, topic_prefix):
    build_world(pg_api)
    ledger = pg_api.ledger
    head = ledger.app.recorder.max_notification_id()
    topic = topic_prefix + "ledger.events"
    producer = relay_producer(kafka_bootstrap, "test-relay-v1")
    try:
        assert Relay(ledger.app, ledger.database, producer, topic=topic,
                     envelope=1).publish_available() == head
    finally:
        producer.close()
    messages = consume_all(kafka_bootstrap, topic, expected=head)
    for message in messages:
        envelope = orjson.loads(message.value)
        assert envelope["specversion"] == 1 and message.key.decode() == envelope["subject"]
        assert dict(message.headers) == {"type": envelope["type"].encode(),
                                         "position": str(envelope["position"]).encode()}
    assert sorted(orjson.loads(m.value)["position"] for m in messages) == list(range(1, head + 1))


class UnconfirmingProducer:
    """Stands in for a broker that never acknowledges: every send's future fails."""

    def send(self, *args, **kwargs):
        return self

    def flush(self, timeout: float | None = None) -> None:
        pass

    def get(self, timeout: float | None = None) -> None:
        raise KafkaTimeoutError("no acknowledgement from the broker")


def test_the_relay_records_its_position_only_after_kafka_confirmed(pg_api):
    build_world(pg_api)
    relay = Relay(pg_api.ledger.app, pg_api.ledger.database, UnconfirmingProducer(),
                  topic="unconfirmed.ledger.events")
    with pytest.raises(KafkaTimeoutError):
        relay.publish_available()
    assert relay.position == 0


class ConfirmingTheFirst:
    """A broker that acknowledges the first `count` sends and none after them."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.sent = 0

    def send(self, *args, **kwargs):
        self.sent += 1
        return Confirmation(self.sent <= self.count, self.sent)

    def flush(self, timeout: float | None = None) -> None:
        pass


class Confirmation:
    def __init__(self, confirmed: bool, offset: int) -> None:
        self.confirmed, self.offset = confirmed, offset

    def get(self, timeout: float | None = None):
        if not self.confirmed:
            raise KafkaTimeoutError("no acknowledgement from the broker")
        return type("Metadata", (), {"partition": 0, "offset": self.offset})()


def test_a_read_of_the_log_is_recorded_only_with_every_read_before_it_confirmed(pg_api):
    """The relay sends a read while confirming the one before: when Kafka confirms the first
    read of two events and half the second, only the first read's position is recorded."""
    build_world(pg_api)
    ledger = pg_api.ledger
    assert ledger.app.recorder.max_notification_id() >= 5
    relay = Relay(ledger.app, ledger.database, ConfirmingTheFirst(3),
                  topic="half-confirmed.ledger.events", batch_size=2)
    with pytest.raises(KafkaTimeoutError):
        relay.publish_available()
    assert relay.position == 2
