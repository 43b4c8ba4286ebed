"""A faster transcoder for stored events, byte-compatible with the library's JSONTranscoder
for what the ledger stores: JSON-native payloads plus the event's own `timestamp`.

Event payloads are the ledger's contract and hold only JSON values (ids and dates as strings);
the library adds a datetime `timestamp`, which is written in the library's own tagged form
({"_type_": "datetime_iso", "_data_": ...}) so that either transcoder reads either's output.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder

_DECODERS = {"datetime_iso": datetime.fromisoformat, "decimal_str": Decimal}


def _tag(value: Any) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"_type_": "datetime_iso", "_data_": value.isoformat()}
    if isinstance(value, Decimal):
        return {"_type_": "decimal_str", "_data_": str(value)}
    raise TypeError(f"events hold JSON values only, not {type(value).__name__}")


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_tag, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def decode(self, data: bytes) -> Any:
        state = orjson.loads(data)
        for key, value in state.items():
            if type(value) is dict and len(value) == 2 and "_type_" in value:
                decoder = _DECODERS.get(value["_type_"])
                if decoder is not None:
                    state[key] = decoder(value["_data_"])
        return state
