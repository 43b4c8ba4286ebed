"""JSON Schemas (draft 2020-12) of the event catalogue's payloads, generated from the event
classes' typed fields: the contract of `data` in every event the ledger publishes."""

import dataclasses
import json
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from ledger.domain.catalogue import EVENTS, EventType
from ledger.domain.dates import IsoDate

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FOLDER = Path("docs") / "events"
INDEX = "catalogue.json"


def schema(event: EventType) -> dict[str, Any]:
    """The schema of one event type's payload (`Envelope.data`, the CloudEvent's data)."""
    payload = dataclasses.make_dataclass(
        event.name,
        [(f.name, f.type, dataclasses.field(default=f.default))
         if f.default is not dataclasses.MISSING else (f.name, f.type)
         for f in event.fields],
    )
    payload.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    generated = TypeAdapter(payload).json_schema()
    for f in event.fields:
        if f.type is IsoDate:  # a NewType of str: pydantic describes only the str
            generated["properties"][f.name]["format"] = "date"
    return {
        "$schema": DIALECT,
        "$id": event.dataschema,
        "title": event.type,
        "description": f"The data of a {event.type} event, version {event.version} "
                       f"(stored under the topic {event.topic}).",
        **{key: value for key, value in generated.items() if key != "title"},
    }


def index() -> dict[str, Any]:
    """The catalogue as outside consumers read it: each type's topics, version and schema;
    `type` and `data` are the schemas of a message's type and data that docs/asyncapi.yaml
    refers to (so that a new event type changes only generated files there)."""
    return {
        "description": "The ledger's event types. `topic` is what the store records (events "
                       "stored by earlier releases keep their `older_topics`); `type` is the "
                       "public name (Envelope.type, the CloudEvents ce_type); `schema` is the "
                       "JSON Schema of the event's data at `version`.",
        "events": [
            {"type": e.type, "name": e.name, "topic": e.topic, "version": e.version,
             "older_topics": list(e.aliases), "schema": file_name(e), "dataschema": e.dataschema}
            for e in EVENTS
        ],
        "type": {"type": "string", "enum": [e.type for e in EVENTS]},
        "data": {"anyOf": [{"$ref": file_name(e)} for e in EVENTS]},
    }


def file_name(event: EventType) -> str:
    return f"{event.name}.schema.json"


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def files() -> dict[str, str]:
    """Every file of the published catalogue, by name, as its text."""
    rendered = {file_name(e): render(schema(e)) for e in EVENTS}
    rendered[INDEX] = render(index())
    return rendered


def write(folder: Path) -> list[Path]:
    """Write the catalogue's files into `folder`, removing schema files of no event."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = files()
    for stale in folder.glob("*.schema.json"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, text in wanted.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
