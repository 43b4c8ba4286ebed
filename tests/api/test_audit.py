"""The audit API over real HTTP, on SQLite and PostgreSQL: the paged event stream with chain
hashes and verification for auditors only, public signed checkpoints that a third party can
check with nothing but the API's answers, and the chain head of an as-of transcript."""

import base64
import hashlib
import struct
from datetime import UTC, datetime, timedelta

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.helpers import Api, build_world, count_events, problem


def _world_with_credentials(api: Api, count: int = 4):
    world = build_world(api)
    for month in range(1, count + 1):
        world.issue(awarded_on=f"2025-0{month}-01")
    return world


def _all_events(api: Api) -> list[dict]:
    auditor, events, after = api.as_("auditor"), [], None
    while True:
        params = {"limit": 7} if after is None else {"limit": 7, "after": after}
        page = auditor.get("/v1/audit/events", **params)
        assert page.status_code == 200, page.text
        events += page.json()["events"]
        after = page.json()["next"]
        if after is None:
            return events


def test_auditors_page_through_every_event_with_its_chain_hash(api: Api) -> None:
    world = _world_with_credentials(api)
    events = _all_events(api)
    assert len(events) == count_events(api.ledger)
    assert [e["position"] for e in events] == sorted({e["position"] for e in events})
    issued = next(e for e in events if e["type"] == "LearnerRecord.CredentialIssued")
    assert {"position", "stream_id", "version", "type", "recorded_at", "data",
            "chain_hash"} <= set(issued)
    assert issued["data"]["programme_id"] == world.programme_id and len(issued["chain_hash"]) == 64
    first = api.as_("auditor").get("/v1/audit/events", limit=3).json()
    assert [e["position"] for e in first["events"]] == [e["position"] for e in events[:3]]
    assert first["next"] == events[2]["position"]


def test_only_auditors_read_the_event_stream_and_verify(api: Api) -> None:
    world = _world_with_credentials(api, count=1)
    for path in ("/v1/audit/events", "/v1/audit/verify"):
        problem(world.provider.get(path), 403)
        problem(world.learner.get(path), 403)
        problem(api.anonymous().get(path), 401)
    problem(api.as_("auditor").get("/v1/audit/events", limit=1001), 422)
    problem(api.as_("auditor").get("/v1/audit/events", limit=0), 422)


def test_verification_over_http_reports_the_contract_fields(api: Api) -> None:
    _world_with_credentials(api)
    api.ledger.audit.checkpoint()
    report = api.as_("auditor").get("/v1/audit/verify")
    assert report.status_code == 200, report.text
    body = report.json()
    events = _all_events(api)
    assert body["ok"] is True and body["first_bad_position"] is None
    assert body["events_checked"] == len(events)
    assert body["head"] == {"position": events[-1]["position"],
                            "chain_hash": events[-1]["chain_hash"]}
    assert body["checkpoints_checked"] == 1
    assert api.as_("auditor").get("/v1/audit/verify", from_checkpoint=True).json()[
        "events_checked"] == 0


def _recompute(events: list[dict]) -> list[str]:
    """The chain as a third party computes it from the documented encoding."""
    previous, hashes = bytes(32), []
    for e in events:
        topic, state = e["topic"].encode(), base64.b64decode(e["stored"])
        when = datetime.fromisoformat(e["recorded_at"].replace("Z", "+00:00"))
        micros = (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        stream = bytes.fromhex(e["stream_id"].replace("-", ""))
        previous = hashlib.sha256(
            previous + struct.pack(">Q", e["position"]) + stream + struct.pack(">Q", e["version"])
            + struct.pack(">I", len(topic)) + topic + struct.pack(">q", micros)
            + struct.pack(">I", len(state)) + state).digest()
        hashes.append(previous.hex())
    return hashes


def _public_key(key_id: str) -> Ed25519PublicKey:
    multikey = key_id.split("#")[1]
    raw = base58.b58decode(multikey[1:])
    assert multikey[0] == "z" and raw[:2] == b"\xed\x01"
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def test_a_third_party_checks_chain_and_checkpoints_from_the_api_alone(api: Api) -> None:
    _world_with_credentials(api)
    api.ledger.audit.checkpoint()
    _world_with_credentials(api, count=2)
    api.ledger.audit.checkpoint()

    published = api.anonymous().get("/v1/audit/checkpoints")
    assert published.status_code == 200, published.text
    document = published.json()
    events = _all_events(api)
    recomputed = dict(zip((e["position"] for e in events), _recompute(events), strict=True))
    assert [e["chain_hash"] for e in events] == list(recomputed.values())

    ledger_keys = {k["id"] for k in document["public_keys"]}
    assert len(document["checkpoints"]) == 2
    for checkpoint in document["checkpoints"]:
        assert checkpoint["key_id"] in ledger_keys
        assert recomputed[checkpoint["position"]] == checkpoint["chain_hash"]
        signed_at = datetime.fromisoformat(checkpoint["signed_at"].replace("Z", "+00:00"))
        micros = (signed_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        message = (b"ledger-checkpoint-v1" + struct.pack(">Q", checkpoint["position"])
                   + bytes.fromhex(checkpoint["chain_hash"]) + struct.pack(">q", micros))
        _public_key(checkpoint["key_id"]).verify(bytes.fromhex(checkpoint["signature"]),
                                                 message)


def test_an_as_of_transcript_names_the_chain_entry_it_was_computed_at(api: Api) -> None:
    world = _world_with_credentials(api, count=2)
    then = datetime.now(UTC)
    world.issue(awarded_on="2025-05-05")
    response = api.as_("auditor").get(f"/v1/learners/{world.learner_id}/transcript",
                                      as_of=then.isoformat())
    assert response.status_code == 200, response.text
    transcript = response.json()
    assert len(transcript["credentials"]) == 2
    by_position = {e["position"]: e["chain_hash"] for e in _all_events(api)}
    assert transcript["chain_head"] == {"position": transcript["position"],
                                        "chain_hash": by_position[transcript["position"]]}
    assert max(by_position) > transcript["position"]
