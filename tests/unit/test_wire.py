"""The envelope on Kafka against the CloudEvents SDK's own Kafka binding (cloudevents.v1.kafka):
what the relay writes, the SDK reads with every attribute; what the SDK writes, the projector
reads; envelope 1 is still read; anything else is refused."""

import orjson
import pytest
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_binary, to_binary

from ledger.projections import wire
from ledger.projections.envelope import Envelope

ENVELOPE = Envelope(type="LearnerRecord.CredentialIssued",
                    subject="6f1c2a52-8a55-4a3c-9d43-3c1f0b1ad6a1", version=3, position=4711,
                    time="2025-03-01T09:30:00.123456+00:00",
                    data={"credential_id": "c-1", "grade": "A", "ects": 6})


def test_the_sdk_reads_what_the_relay_writes():
    headers, value = wire.encode(ENVELOPE)
    event = from_binary(KafkaMessage(headers=dict(headers), key=ENVELOPE.subject.encode(),
                                     value=value))
    assert event.get_attributes() == {
        "specversion": "1.0", "id": f"{ENVELOPE.subject}/3", "source": "urn:ledger",
        "type": "LearnerRecord.CredentialIssued", "subject": ENVELOPE.subject,
        "time": ENVELOPE.time, "position": "4711", "streamversion": "3",
        "dataschema": "urn:ledger:events:LearnerRecord.CredentialIssued:v1",
        "ledgerenvelope": "2", "datacontenttype": "application/json",
        "partitionkey": ENVELOPE.subject.encode()}
    assert event.get_data() == ENVELOPE.data
    assert all(name == "content-type" or (name.startswith("ce_") and name[3:].isalnum()
                                           and name[3:].islower()) for name, _ in headers)


def test_the_projector_reads_what_the_sdk_writes():
    event = CloudEvent({"specversion": "1.0", "id": "x/3", "source": "urn:ledger",
                        "type": ENVELOPE.type, "subject": ENVELOPE.subject,
                        "time": ENVELOPE.time, "position": "4711", "streamversion": "3",
                        "datacontenttype": "application/json"}, ENVELOPE.data)
    message = to_binary(event)
    assert wire.decode(list(message.headers.items()), message.value) == ENVELOPE
    assert wire.position(list(message.headers.items())) == 4711


def test_envelope_1_is_still_read():
    headers, value = wire.encode(ENVELOPE, wire.LEGACY)
    assert orjson.loads(value)["specversion"] == 1
    assert wire.decode(headers, value) == ENVELOPE
    assert wire.position(headers) == 4711


@pytest.mark.parametrize(("header", "value"), [
    ("ce_specversion", b"0.3"), ("content-type", b"application/xml")])
def test_other_forms_are_refused(header, value):
    headers, body = wire.encode(ENVELOPE)
    changed = [(name, value if name == header else v) for name, v in headers]
    with pytest.raises(ValueError, match="unsupported"):
        wire.decode(changed, body)


def test_the_data_must_be_an_object():
    headers, _ = wire.encode(ENVELOPE)
    with pytest.raises(ValueError, match="JSON object"):
        wire.decode(headers, b"[1, 2]")
