"""The envelope on Kafka: CloudEvents 1.0 binary content mode (2), or the JSON document (1).

Envelope 2 (the default) follows the CloudEvents Kafka protocol binding, binary content mode:
every context attribute is a `ce_` header (UTF-8), the value is the event's `data` as JSON
and `content-type` says so; `dataschema` names the JSON Schema of the data at its version in
the event catalogue (docs/events). `position` (the store position), `streamversion` (the event's
version in its stream) and `ledgerenvelope` ("2") are extension attributes (lowercase
alphanumeric names, as the specification requires). Envelope 1 is the whole envelope as one
JSON document (with `specversion` the integer 1) and the headers `type` and `position`.

Switching a deployment: upgrade every consumer first (they read both forms), then the relay
and the exporter (`LEDGER_KAFKA_ENVELOPE=2`, the default; `1` publishes the old form).
"""

from collections.abc import Iterable
from typing import Any

import orjson

from ledger.domain.catalogue import BY_TYPE
from ledger.projections.envelope import SOURCE, Envelope

LEGACY = 1
CLOUDEVENTS = 2
CONTENT_TYPE = b"application/json"
SPECVERSION = b"1.0"

Headers = list[tuple[str, bytes]]


def cloudevent_headers(*, id: str, type: str, subject: str, time: str, position: int,
                       extra: Iterable[tuple[str, str]] = ()) -> Headers:
    """The binary-mode headers of one event of the ledger (on any of its topics)."""
    return [
        ("ce_specversion", SPECVERSION), ("ce_id", id.encode()), ("ce_source", SOURCE.encode()),
        ("ce_type", type.encode()), ("ce_subject", subject.encode()),
        ("ce_time", time.encode()), ("ce_position", str(position).encode()),
        *((f"ce_{name}", value.encode()) for name, value in extra),
        ("ce_ledgerenvelope", str(CLOUDEVENTS).encode()), ("content-type", CONTENT_TYPE),
    ]


def encode(envelope: Envelope, version: int = CLOUDEVENTS) -> tuple[Headers, bytes]:
    """Headers and value of one message on ledger.events."""
    if version == LEGACY:
        return ([("type", envelope.type.encode()), ("position", str(envelope.position).encode())],
                orjson.dumps(envelope.as_json()))
    if version != CLOUDEVENTS:
        raise ValueError(f"unknown envelope version {version}")
    known = BY_TYPE.get(envelope.type)
    described = [("dataschema", known.dataschema)] if known is not None else []
    headers = cloudevent_headers(
        id=f"{envelope.subject}/{envelope.version}", type=envelope.type,
        subject=envelope.subject, time=envelope.time, position=envelope.position,
        extra=[*described, ("streamversion", str(envelope.version))])
    return headers, orjson.dumps(envelope.data)


def _headers(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, bytes]:
    return {name.lower(): value for name, value in headers or ()}


def decode(headers: Iterable[tuple[str, bytes]] | None, value: bytes) -> Envelope:
    """An envelope from a message in either form (raises on anything else)."""
    named = _headers(headers)
    if "ce_specversion" not in named:
        return Envelope.from_json(orjson.loads(value))
    if named["ce_specversion"] != SPECVERSION:
        raise ValueError(f"unsupported CloudEvents specversion {named['ce_specversion']!r}")
    if named.get("content-type", CONTENT_TYPE).split(b";")[0].strip() != CONTENT_TYPE:
        raise ValueError(f"unsupported content-type {named['content-type']!r}")
    data: Any = orjson.loads(value)
    if not isinstance(data, dict):
        raise ValueError("the data of a ledger event is a JSON object")
    type_ = named["ce_type"].decode()
    known = BY_TYPE.get(type_)
    if known is not None and known.version > 1:
        # Published at an older version (by an older relay): brought up to date like the
        # store's own payloads. Without `dataschema` the data is version 1.
        schema = named.get("ce_dataschema", b"").decode()
        data["class_version"] = int(schema.rsplit(":v", 1)[-1]) if ":v" in schema else 1
        known.upcast(data)
    return Envelope(type=type_, subject=named["ce_subject"].decode(),
                    version=int(named["ce_streamversion"]),
                    position=int(named["ce_position"]), time=named["ce_time"].decode(),
                    data=data)


def position(headers: Iterable[tuple[str, bytes]] | None) -> int | None:
    """The store position a message announces in its headers (either form), if any."""
    named = _headers(headers)
    value = named.get("ce_position", named.get("position"))
    return int(value) if value is not None else None
