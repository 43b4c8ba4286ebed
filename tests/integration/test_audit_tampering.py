"""Tampering with the store as a database superuser would (append-only triggers off, rows
rewritten directly), on SQLite and PostgreSQL: `audit verify` names the first bad position
for every kind of tampering (ledger/audit/verify.py defines "first bad" for each)."""

import itertools
import subprocess
import sys
from uuid import UUID, uuid4

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.application import Ledger
from ledger.audit.checkpoints import Checkpoint
from ledger.config import Settings
from ledger.signing import did_key
from ledger.store import chain
from tests.helpers import count_events, seed_ledger
from tests.tampering import Superuser


def _seeded(ledger: Ledger, times: int = 1) -> list[int]:
    for _ in range(times):
        seed_ledger(ledger)
    return [int(r["position"]) for r in ledger.database.query(
        f"SELECT position FROM {chain.TABLE} ORDER BY position")]


def _issued_position(superuser: Superuser, after: int = 0) -> int:
    return next(p for p in superuser.positions()
                if p > after and superuser.event(p)[2].endswith(".CredentialIssued"))


def _verify(ledger: Ledger) -> dict:
    return ledger.audit.verify().as_json()


# -- an intact store ----------------------------------------------------------------------

def test_an_untouched_store_verifies_with_its_head(ledger: Ledger) -> None:
    positions = _seeded(ledger, times=2)
    assert positions == list(range(1, count_events(ledger) + 1))
    ledger.audit.checkpoint()
    report = _verify(ledger)
    head = ledger.database.query_one(
        f"SELECT position, chain_hash FROM {chain.TABLE} ORDER BY position DESC LIMIT 1")
    assert report["ok"] is True, report
    assert report["events_checked"] == len(positions)
    assert report["head"] == {"position": positions[-1],
                              "chain_hash": bytes(head["chain_hash"]).hex()}
    assert report["first_bad_position"] is None and report["checkpoints_checked"] == 1


def test_each_link_is_the_documented_hash_of_its_predecessor(ledger, settings) -> None:
    """The encoding in ledger/store/chain.py, re-implemented here from its description."""
    import hashlib
    import struct

    _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        previous = bytes(32)
        for position in superuser.positions():
            stream, version, topic, state = superuser.event(position)
            recorded_at, stored = superuser.link(position)
            message = (previous + struct.pack(">Q", position) + stream.bytes
                       + struct.pack(">Q", version) + struct.pack(">I", len(topic.encode()))
                       + topic.encode() + struct.pack(">q", recorded_at)
                       + struct.pack(">I", len(state)) + state)
            previous = hashlib.sha256(message).digest()
            assert previous == stored, position
    finally:
        superuser.close()


# -- one test per kind of tampering ------------------------------------------------------------

def test_changed_stored_bytes_are_found_at_their_position(ledger, settings) -> None:
    _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        target = _issued_position(superuser)
        state = superuser.event(target)[3]
        assert b'"grade":"A"' in state
        superuser.set_state(target, state.replace(b'"grade":"A"', b'"grade":"A+"'))
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["ok"] is False
    assert report["first_bad_position"] == target
    assert [p["kind"] for p in report["problems"]] == ["mismatch"]


def test_a_deleted_event_is_found_at_the_first_event_after_it(ledger, settings) -> None:
    positions = _seeded(ledger)
    target = positions[4]
    superuser = Superuser(settings, ledger)
    try:
        superuser.delete_event(target, with_link=True)
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["ok"] is False
    assert report["first_bad_position"] == positions[5]
    assert report["events_checked"] == len(positions) - 1


def test_a_deleted_event_whose_chain_entry_remains_is_found_at_its_own_position(
        ledger, settings) -> None:
    positions = _seeded(ledger)
    target = positions[4]
    superuser = Superuser(settings, ledger)
    try:
        superuser.delete_event(target, with_link=False)
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == target
    assert report["problems"][0]["kind"] == "deleted"


def test_two_swapped_events_are_found_at_the_lower_position(ledger, settings) -> None:
    positions = _seeded(ledger)
    low, high = positions[3], positions[7]
    superuser = Superuser(settings, ledger)
    try:
        parking = positions[-1] + 1000
        superuser.move(low, parking)
        superuser.move(high, low)
        superuser.move(parking, high)
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == low
    assert {p["position"] for p in report["problems"]} == {low, high}


def test_a_field_outside_the_encoding_is_found_at_its_position(ledger, settings) -> None:
    positions = _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        superuser.run(f"UPDATE {superuser.events} SET originator_version = -originator_version "
                      f"WHERE {superuser.position} = ?", (positions[3],))
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == positions[3]
    assert report["problems"][0]["kind"] == "malformed"


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # a uuid column has one form
def test_a_sqlite_stream_id_respelled_to_hide_an_event_is_found(ledger, settings) -> None:
    """SQLite keeps stream ids as text and the library looks them up by their lowercase hex
    form: the same UUID in capitals hides the event from its stream."""
    positions = _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        superuser.run(f"UPDATE {superuser.events} SET originator_id = upper(originator_id) "
                      "WHERE rowid = ?", (positions[-1],))
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == positions[-1]
    assert report["problems"][0]["kind"] == "malformed"


def _forged_issue(superuser: Superuser) -> tuple[UUID, int, str, bytes]:
    """A credential issued to the learner by no one: a copy of a real issuance with a new
    credential id and the stream's next version."""
    template = _issued_position(superuser)
    stream, _, topic, state = superuser.event(template)
    versions = superuser.run(f"SELECT MAX(originator_version) FROM {superuser.events} "
                             "WHERE originator_id = ?", (superuser.stream_param(stream),))
    body = orjson.loads(state)
    body["credential_id"] = str(uuid4())
    return stream, versions[0][0] + 1, topic, orjson.dumps(body)


def test_a_forged_event_without_a_chain_entry_is_found_at_its_position(
        ledger, settings) -> None:
    positions = _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        forged = positions[-1] + 1
        superuser.insert_event(forged, *_forged_issue(superuser))
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == forged
    assert [p["kind"] for p in report["problems"]] == ["unchained"]


def test_a_forged_event_before_the_first_one_is_found_at_its_position(ledger, settings) -> None:
    """SQLite positions have no gaps to hide in: a forgery with a chain entry computed from the
    documented encoding can only go before the first event, where the ledger never writes."""
    positions = _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        superuser.insert_event(0, *_forged_issue(superuser))
        superuser.write_link(0, chain.GENESIS, superuser.link(positions[0])[0])
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == 0
    assert [p["kind"] for p in report["problems"]] == ["forged-position"]


def test_forged_events_in_a_gap_between_positions_are_found_at_the_first_of_them(
        pg_ledger, pg_settings) -> None:
    """PostgreSQL positions have gaps where appends rolled back: a forger can fill one, with
    chain entries computed from the documented encoding. The genuine event after the gap still
    links to the one before it, which names the forgeries."""
    seed_ledger(pg_ledger)
    superuser = Superuser(pg_settings, pg_ledger)
    try:
        superuser.run(f"SELECT nextval(pg_get_serial_sequence('{superuser.events}', "
                      "'notification_id')) FROM generate_series(1, 3)")
        seed_ledger(pg_ledger)
        positions = superuser.positions()
        gap = next(p + 1 for p, q in itertools.pairwise(positions) if q != p + 1)
        stream, version, topic, state = _forged_issue(superuser)
        recorded_at, previous = superuser.link(gap - 1)
        for offset in range(2):
            superuser.insert_event(gap + offset, stream, version + offset, topic, state)
            previous = superuser.write_link(gap + offset, previous, recorded_at)
    finally:
        superuser.close()
    report = _verify(pg_ledger)
    assert report["first_bad_position"] == gap
    assert [p["kind"] for p in report["problems"]] == ["inserted"]
    assert f"events at {gap} to {gap + 1} were inserted" in report["problem"]


def test_a_consistently_rehashed_tail_is_found_at_the_checkpoint_it_contradicts(
        ledger, settings) -> None:
    first = _seeded(ledger)
    early = ledger.audit.checkpoint()
    second = _seeded(ledger)
    late = ledger.audit.checkpoint()
    _seeded(ledger)
    assert early.position == first[-1] < late.position == second[-1]
    superuser = Superuser(settings, ledger)
    try:
        target = _issued_position(superuser, after=early.position)
        state = superuser.event(target)[3]
        superuser.set_state(target, state.replace(b'"grade":"A"', b'"grade":"C"'))
        superuser.rechain_from(target)
    finally:
        superuser.close()
    report = _verify(ledger)
    assert early.position < target < late.position
    assert report["first_bad_position"] == late.position
    assert [p["kind"] for p in report["problems"]] == ["checkpoint-contradicted"]
    assert f"after position {early.position} and at or before {late.position}" in (
        report["problem"])


def test_a_copy_of_the_checkpoints_catches_a_rewrite_whose_checkpoints_were_deleted(
        ledger, settings, tmp_path) -> None:
    _seeded(ledger)
    ledger.audit.checkpoint()
    kept = ledger.audit.checkpoints.document()  # a third party's copy
    _seeded(ledger)
    superuser = Superuser(settings, ledger)
    try:
        superuser.run("DELETE FROM audit_checkpoints")
        target = _issued_position(superuser)
        state = superuser.event(target)[3]
        superuser.set_state(target, state.replace(b'"grade":"A"', b'"grade":"C"'))
        superuser.rechain_from(target)
    finally:
        superuser.close()
    assert _verify(ledger)["ok"] is True  # nothing left in the store contradicts it
    external = [Checkpoint.from_json(c) for c in kept["checkpoints"]]
    report = ledger.audit.verify(external=external).as_json()
    assert report["first_bad_position"] == external[0].position
    assert report["problems"][0]["kind"] == "checkpoint-contradicted"


def test_events_removed_from_the_end_are_found_at_the_checkpoint_past_the_new_end(
        ledger, settings) -> None:
    positions = _seeded(ledger)
    signed = ledger.audit.checkpoint()
    superuser = Superuser(settings, ledger)
    try:
        for position in positions[-3:]:
            superuser.delete_event(position, with_link=True)
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == signed.position
    assert report["problems"][0]["kind"] == "checkpoint-missing-event"


def test_a_checkpoint_signed_by_another_key_is_refused(ledger, settings) -> None:
    positions = _seeded(ledger)
    forger = Ed25519PrivateKey.generate()
    method = did_key.verification_method(forger.public_key())
    head = ledger.database.query_one(
        f"SELECT chain_hash FROM {chain.TABLE} WHERE position = ?", (positions[-1],))
    fake = Checkpoint(positions[-1], bytes(head["chain_hash"]), chain.now_micros(), method, b"")
    fake = Checkpoint(fake.position, fake.chain_hash, fake.signed_at, method,
                      forger.sign(fake.message()))
    assert fake.signature_valid()
    superuser = Superuser(settings, ledger)
    try:
        # Even registered as a "ledger" key, it is not one the master key can open.
        superuser.run("INSERT INTO signing_keys (key_id, owner, public_key, sealed_private_key,"
                      " created_at, retired_at) VALUES (?, 'ledger', ?, ?, "
                      "'2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z')",
                      (method, did_key.multikey(forger.public_key()), b"\0" * 60))
        superuser.run("INSERT INTO audit_checkpoints (position, chain_hash, signed_at, key_id, "
                      "signature) VALUES (?, ?, ?, ?, ?)",
                      (fake.position, fake.chain_hash, fake.signed_at, fake.key_id,
                       fake.signature))
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == positions[-1]
    assert report["problems"][0]["kind"] == "checkpoint-key"
    published = ledger.audit.checkpoints.document()
    assert method not in {k["id"] for k in published["public_keys"]}


# -- checkpoints, from a checkpoint, the command line ----------------------------------------

def test_the_ledger_signs_its_head_every_n_positions(settings: Settings) -> None:
    from ledger.bootstrap import bootstrap

    settings.checkpoint_every = 4
    ledger = bootstrap(settings)
    try:
        positions = _seeded(ledger, times=2)
        signed = ledger.audit.checkpoints.all()
        assert len(signed) >= (positions[-1] // 4) - 1
        assert all(b.position - a.position >= 4 for a, b in itertools.pairwise(signed))
        assert all(c.signature_valid() for c in signed)
        assert _verify(ledger)["checkpoints_checked"] == len(signed)
    finally:
        ledger.close()


def test_verification_can_start_from_the_newest_checkpoint(ledger, settings) -> None:
    first = _seeded(ledger)
    ledger.audit.checkpoint()
    later = _seeded(ledger)[len(first):]
    superuser = Superuser(settings, ledger)
    try:  # damage before the checkpoint is not looked at; damage after it is
        superuser.set_state(first[2], superuser.event(first[2])[3] + b" ")
        superuser.set_state(later[3], superuser.event(later[3])[3] + b" ")
    finally:
        superuser.close()
    report = ledger.audit.verify(from_checkpoint=True).as_json()
    assert report["from_position"] == first[-1]
    assert report["events_checked"] == len(later)
    assert report["first_bad_position"] == later[3]
    assert _verify(ledger)["first_bad_position"] == first[2]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "LEDGER_MASTER_KEY": settings.master_key}
    env.pop("DATABASE_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return subprocess.run([sys.executable, "-c", "from ledger.cli import main; main()",
                           "audit", *args, "--data-dir", str(settings.data_dir)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_the_command_exits_0_only_when_the_store_is_intact(ledger, settings) -> None:
    positions = _seeded(ledger)
    signed = _cli(settings, "checkpoint")
    assert signed.returncode == 0, signed.stderr
    assert orjson.loads(signed.stdout)["position"] == positions[-1]
    intact = _cli(settings, "verify")
    assert intact.returncode == 0, intact.stderr
    assert orjson.loads(intact.stdout)["ok"] is True
    superuser = Superuser(settings, ledger)
    try:
        superuser.set_state(positions[6], superuser.event(positions[6])[3] + b" ")
    finally:
        superuser.close()
    broken = _cli(settings, "verify")
    assert broken.returncode == 1
    assert orjson.loads(broken.stdout)["first_bad_position"] == positions[6]
    assert f"first bad position {positions[6]}" in broken.stderr


def test_a_rewrite_that_also_edits_the_checkpoint_breaks_its_signature(ledger, settings) -> None:
    _seeded(ledger)
    signed = ledger.audit.checkpoint()
    superuser = Superuser(settings, ledger)
    try:
        target = _issued_position(superuser)
        state = superuser.event(target)[3]
        superuser.set_state(target, state.replace(b'"grade":"A"', b'"grade":"C"'))
        superuser.rechain_from(target)
        superuser.run("UPDATE audit_checkpoints SET chain_hash = ? WHERE position = ?",
                      (superuser.link(signed.position)[1], signed.position))
    finally:
        superuser.close()
    report = _verify(ledger)
    assert report["first_bad_position"] == signed.position
    assert [p["kind"] for p in report["problems"]] == ["checkpoint-signature"]
