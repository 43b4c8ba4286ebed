"""The Kafka-fed projector against a real broker: poison messages go to the dead-letter topic
with their reason while later messages are still applied; redelivery changes nothing, in
either envelope form; members share the partitions through PostgreSQL and a dead member's
partitions are taken over."""

import threading
import time
import uuid

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from ledger import commands, inputs
from ledger.domain.actors import Actor
from ledger.kafka import consumer_factory, ensure_topics, idempotent_producer
from ledger.projections import wire
from ledger.projections.envelope import from_stored
from services.projector.projector import Projector

QA = Actor("qa", "qa_body")


@pytest.fixture
def topics(kafka_bootstrap: str) -> str:
    prefix = f"p{uuid.uuid4().hex[:8]}."
    ensure_topics(kafka_bootstrap, partitions=2, prefix=prefix)
    return prefix


def stored_envelopes(ledger) -> list:
    provider = ledger.execute_sync(commands.register_provider(QA, inputs.RegisterProvider(**{
        "name": "Telavi State University", "country": "GE", "kind": "higher_education",
        "legal_identifier": None}))).body["id"]
    ledger.execute_sync(commands.accredit_provider(QA, provider, inputs.Accreditation(**{
        "valid_from": "2021-01-01", "valid_until": "2029-12-31", "scope": None,
        "decision_reference": None})))
    transcoder = ledger.app.mapper.transcoder
    return [from_stored(transcoder, n) for n in ledger.app.recorder.select_notifications(0, 100)]


def run_until(projector: Projector, condition, seconds: float = 60) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=projector.run, args=(stop,))
    worker.start()
    deadline = time.monotonic() + seconds
    try:
        while not condition():
            assert time.monotonic() < deadline, "the projector did not get there in time"
            time.sleep(0.05)  # polling a condition with a deadline
    finally:
        stop.set()
        worker.join(timeout=30)


def dead_letters(bootstrap: str, topic: str, expected: int) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    found, deadline = [], time.monotonic() + 30
    while len(found) < expected and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            found.extend(batch)
    consumer.close()
    return found


def test_poison_messages_go_to_the_dead_letter_topic_and_later_ones_are_applied(
        pg_ledger, kafka_bootstrap, topics):
    registered, accredited = stored_envelopes(pg_ledger)
    key = registered.subject.encode()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    events_topic = topics + "ledger.events"
    producer.send(events_topic, key=key, value=orjson.dumps(registered.as_json()))
    producer.send(events_topic, key=key, value=b"{not json")
    producer.send(events_topic, key=key, value=orjson.dumps(
        {"type": "Provider.Accredited", "subject": registered.subject, "version": 2,
         "position": 10**9, "time": "2025-01-01T00:00:00+00:00", "data": {}}))
    producer.send(events_topic, key=key, value=orjson.dumps(accredited.as_json()))
    producer.flush()
    producer.close()

    dlq_producer = idempotent_producer(kafka_bootstrap, "test-dlq")
    projector = Projector("register", pg_ledger.read_models, pg_ledger.database,
                          consumer_factory(kafka_bootstrap, group_prefix=topics), dlq_producer,
                          topic=events_topic, dlq_topic=topics + "ledger.events.dlq")

    def accreditation_applied() -> bool:
        doc = pg_ledger.read_models.get("register", registered.subject)
        return doc is not None and len(doc["accreditations"]) == 1

    run_until(projector, accreditation_applied)
    dlq_producer.close()

    letters = dead_letters(kafka_bootstrap, topics + "ledger.events.dlq", expected=2)
    reasons = sorted(dict(m.headers)["reason"].decode().split(":")[0] for m in letters)
    assert reasons == ["unappliable", "undecodable"]
    assert {m.value for m in letters if dict(m.headers)["reason"].startswith(b"undecodable")} \
        == {b"{not json"}
    assert all(dict(m.headers)["projection"] == b"register" for m in letters)


def test_a_redelivered_batch_changes_nothing(pg_ledger, kafka_bootstrap, topics):
    envelopes = stored_envelopes(pg_ledger)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    # The relay crashed after sending, before recording its position; it was switched from
    # envelope 1 to CloudEvents meanwhile.
    for form in (wire.LEGACY, wire.CLOUDEVENTS):
        for envelope in envelopes:
            headers, value = wire.encode(envelope, form)
            producer.send(topics + "ledger.events", key=envelope.subject.encode(),
                          value=value, headers=headers)
    producer.flush()
    producer.close()
    dlq_producer = idempotent_producer(kafka_bootstrap, "test-dlq")
    projector = Projector("register", pg_ledger.read_models, pg_ledger.database,
                          consumer_factory(kafka_bootstrap, group_prefix=topics), dlq_producer,
                          topic=topics + "ledger.events", dlq_topic=topics + "ledger.events.dlq")
    expected_offsets = 2 * len(envelopes)
    run_until(projector, lambda: sum(projector.stored_offsets().values()) >= expected_offsets)
    dlq_producer.close()
    doc = pg_ledger.read_models.get("register", envelopes[0].subject)
    assert [h["event"] for h in doc["history"]] == ["Registered", "Accredited"]
