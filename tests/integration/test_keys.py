"""The signing keystore on SQLite and PostgreSQL: keys per owner, sealed at rest, rotation
that keeps old public keys findable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.application import Ledger
from ledger.config import Settings
from ledger.signing import did_key
from ledger.store import keys
from ledger.store.keys import KeyStore
from tests.helpers import in_parallel


@pytest.fixture
def keystore(ledger: Ledger) -> KeyStore:
    return KeyStore(ledger.database, MASTER, ledger.urls)


MASTER = os.urandom(32)


def _raw(key: keys.SigningKey) -> bytes:
    return key.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def test_a_key_is_made_on_first_use_and_kept(keystore: KeyStore, ledger: Ledger) -> None:
    first = keystore.current("provider-1")
    again = KeyStore(ledger.database, MASTER, ledger.urls).current("provider-1")  # not cached
    assert again.key_id == first.key_id and _raw(again) == _raw(first)
    assert first.key_id.startswith("did:key:z6Mk") and first.key_id.split("#")[1].startswith("z6Mk")
    # Proofs name a key of the owner's did:web DID; the fragment is the key itself.
    assert first.did == ledger.urls.did("provider-1") and first.did.startswith("did:web:")
    assert first.verification_method == f"{first.did}#{first.multikey}"
    assert first.multikey == first.key_id.split("#")[1]
    public = did_key.public_key_of(first.verification_method)
    assert public.public_bytes_raw() == first.private_key.public_key().public_bytes_raw()


def test_owners_have_their_own_keys(keystore: KeyStore) -> None:
    assert keystore.current("provider-1").key_id != keystore.current("ledger").key_id


def test_private_keys_are_sealed_under_the_master_key(keystore: KeyStore, ledger: Ledger) -> None:
    key = keystore.current("provider-1")
    row = ledger.database.query_one("SELECT sealed_private_key FROM signing_keys")
    assert _raw(key) not in bytes(row["sealed_private_key"])
    with pytest.raises(InvalidTag):
        KeyStore(ledger.database, os.urandom(32), ledger.urls).current("provider-1")


def test_a_sealed_key_moved_to_another_owner_does_not_open(keystore: KeyStore,
                                                            ledger: Ledger) -> None:
    keystore.current("provider-1")
    with ledger.database.transaction() as cursor:
        cursor.execute("UPDATE signing_keys SET owner = 'provider-2'")
    with pytest.raises(InvalidTag):
        KeyStore(ledger.database, MASTER, ledger.urls).current("provider-2")


def test_rotation_retires_the_old_key_but_keeps_it_findable(keystore: KeyStore) -> None:
    old = keystore.current("provider-1")
    new = keystore.rotate("provider-1")
    assert new.key_id != old.key_id
    assert keystore.current("provider-1").key_id == new.key_id
    listed = keystore.public_keys("provider-1")
    assert [k["id"] for k in listed] == [old.verification_method, new.verification_method]
    assert [k["key_id"] for k in listed] == [old.key_id, new.key_id]
    assert {k["controller"] for k in listed} == {old.did} == {new.did}  # the same identity
    assert listed[0]["retired"] is not None and listed[1]["retired"] is None
    for method in (old.verification_method, old.key_id):
        found = keystore.find(method)
        assert found["owner"] == "provider-1" and found["retired"] is not None
        assert found["publicKeyMultibase"] == old.multikey
    assert keystore.find("did:key:z6MkunknownKey#z6MkunknownKey") is None
    # Another owner's DID with this key is not this key.
    assert keystore.find(f"{keystore.urls.did('provider-2')}#{old.multikey}") is None


def test_rotating_an_owner_without_a_key_makes_one(keystore: KeyStore) -> None:
    made = keystore.rotate("provider-9")
    assert [k["id"] for k in keystore.public_keys("provider-9")] == [made.verification_method]


def test_concurrent_first_use_makes_exactly_one_key(keystore: KeyStore, ledger: Ledger) -> None:
    stores = [KeyStore(ledger.database, MASTER, ledger.urls) for _ in range(6)]
    made = in_parallel([lambda s=s: s.current("provider-1").key_id for s in stores])
    assert len(set(made)) == 1
    assert len(keystore.public_keys("provider-1")) == 1


LEDGER = str(Path(sys.executable).parent / "ledger")


def test_keys_are_rotated_and_listed_from_the_command_line(settings: Settings):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env.update(LEDGER_MASTER_KEY=settings.master_key, LEDGER_DATA_DIR=str(settings.data_dir),
               **({"DATABASE_URL": settings.database_url} if settings.database_url else {}))

    def run(*args: str) -> list[str]:
        done = subprocess.run([LEDGER, "keys", *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first = run("rotate", "provider-1")[-1]
    second = run("rotate", "provider-1")[-1]
    assert first != second and second.startswith("did:web:") and "#z6Mk" in second
    listed = [line.split("\t") for line in run("list", "provider-1")]
    assert [row[0] for row in listed] == [first, second]
    assert listed[0][2] != "current" and listed[1][2] == "current"
