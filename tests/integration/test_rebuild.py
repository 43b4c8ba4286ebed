"""`ledger projections rebuild NAME` while the API serves and writes continue: readers never see
a half-built model, and afterwards the model holds every acknowledged write exactly once (it
equals a replay of the store). A feeder transaction blocked on the switch writes into the new
table, not the discarded one."""

import random
import threading
import uuid

import psycopg
import pytest

from ledger import commands
from ledger.audit.replay import diff
from ledger.config import Settings
from ledger.projections.envelope import Envelope
from ledger.projections.rebuild import ShadowRebuild
from tests.helpers import Api, build_world, seed_ledger
from tests.integration.test_diff import wait_until
from tests.integration.test_replay import ledger_cli


class Traffic:
    """Writers issue and suspend credentials over HTTP; readers read transcripts and check
    that no learner's record ever shrinks (a half-built model would show fewer credentials)."""

    def __init__(self, api: Api, learners: int = 8) -> None:
        self.world = build_world(api)
        self.learners = [self.world.new_learner() for _ in range(learners)]
        self.issued: dict[str, set[str]] = {learner: set() for learner in self.learners}
        self.suspended: set[str] = set()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.reads = 0
        self.threads = [threading.Thread(target=self._write, daemon=True),
                        threading.Thread(target=self._read, daemon=True)]

    def _write(self) -> None:
        rng = random.Random(11)
        while not self.stop.is_set():
            learner = rng.choice(self.learners)
            credential = self.world.issue(learner_id=learner)["id"]
            self.issued[learner].add(credential)
            if rng.random() < 0.25:
                response = self.world.provider.post(f"/v1/credentials/{credential}/suspend",
                                                    {"reason": "inquiry"})
                if response.status_code != 200:
                    self.errors.append(response.text)
                self.suspended.add(credential)

    def _read(self) -> None:
        seen = {learner: 0 for learner in self.learners}
        auditor = self.world.api.as_("auditor")
        while not self.stop.is_set():
            for learner in self.learners:
                response = auditor.get(f"/v1/learners/{learner}/transcript")
                if response.status_code != 200:
                    self.errors.append(f"read: {response.status_code} {response.text}")
                    continue
                count = len(response.json()["credentials"])
                if count < seen[learner]:
                    self.errors.append(f"{learner} had {seen[learner]} credentials, then {count}")
                seen[learner] = max(seen[learner], count)
                self.reads += 1

    def __enter__(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_rebuild_under_load_loses_nothing_and_readers_never_see_a_half_built_model(
        api: Api, settings: Settings):
    ledger = api.ledger
    with Traffic(api) as traffic:
        wait_until(lambda: sum(map(len, traffic.issued.values())) >= 40 and traffic.reads > 20)
        for name in ("transcripts", "status"):
            before = ledger.events.head()
            done = ledger_cli(settings, "projections", "rebuild", name)
            assert done.returncode == 0, done.stderr.decode()
            assert ledger.events.head() > before  # writes went on during the rebuild
        reads_after_switch = traffic.reads
        wait_until(lambda: traffic.reads > reads_after_switch + 20)
    assert not traffic.errors, traffic.errors[:5]

    ledger.wait_for(ledger.events.head())
    report = diff(ledger)
    assert report.differences == [] and report.settled == ledger.events.head()
    auditor = api.as_("auditor")
    for learner, issued in traffic.issued.items():
        credentials = auditor.get(f"/v1/learners/{learner}/transcript").json()["credentials"]
        assert {c["id"] for c in credentials} == issued  # every acknowledged issuance
        for credential in credentials:
            suspensions = [h for h in credential["history"]
                           if h["event"] == "CredentialSuspended"]
            assert len(suspensions) == (credential["id"] in traffic.suspended)  # once each


def waiting_locks(url: str, table: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE relation = %s::regclass "
                            "AND NOT granted", (table,)).fetchone()[0]


def test_a_projector_transaction_blocked_on_the_switch_writes_into_the_new_table(
        pg_ledger, pg_settings: Settings):
    ledger, url = pg_ledger, pg_settings.database_url
    seeded = seed_ledger(ledger)
    ledger.wait_for(seeded.position)
    ledger.runner.stop()  # this test plays the feeder itself
    late_id = str(uuid.uuid4())
    late = Envelope(type="LearnerRecord.CredentialIssued", subject=seeded.learner_id,
                    version=10**6, position=10**9, time="2026-01-01T00:00:00+00:00", data={
                        "credential_id": late_id, "provider_id": seeded.provider_id,
                        "programme_id": seeded.programme_id, "title": "Late", "ects": 5.0,
                        "eqf_level": 5, "awarded_on": "2025-05-01", "grade": None,
                        "assessment": None, "actor": "p", "effective_on": "2025-05-01"})
    failures: list[BaseException] = []

    def feed() -> None:  # what services/projector does per poll: documents + offsets
        try:
            with ledger.database.transaction() as cursor:
                ledger.read_models.apply_in(cursor, [late], ["transcripts"])
                cursor.execute("INSERT INTO projector_offsets (projection, topic, partition, "
                               "next_offset) VALUES ('transcripts', 't', 0, 1)")
        except BaseException as error:
            failures.append(error)

    def rebuild() -> None:
        try:
            ShadowRebuild(ledger, "transcripts").run()
        except BaseException as error:
            failures.append(error)

    with psycopg.connect(url) as holder:  # a reader in the middle of a transaction
        holder.execute("SELECT count(*) FROM rm_transcripts")
        rebuilding = threading.Thread(target=rebuild)
        rebuilding.start()
        wait_until(lambda: waiting_locks(url, "rm_transcripts") == 1)  # the switch waits
        feeding = threading.Thread(target=feed)
        feeding.start()
        wait_until(lambda: waiting_locks(url, "rm_transcripts") == 2)  # the feeder queues
        holder.commit()
    rebuilding.join(timeout=60)
    feeding.join(timeout=60)
    assert not failures, failures

    assert ledger.read_models.get("transcripts", late_id)["title"] == "Late"
    with ledger.database.transaction() as cursor:
        cursor.execute("DELETE FROM rm_transcripts WHERE key = ?", (late_id,))
    assert diff(ledger).differences == []
    assert ledger.database.query_one(
        "SELECT count(*) AS n FROM projector_offsets WHERE projection = 'transcripts'")["n"] == 1


@pytest.mark.parametrize("name", ["transcripts", "register", "status"])
def test_a_rebuilt_model_keeps_its_table_indexes_and_position(ledger, name):
    seeded = seed_ledger(ledger)
    ledger.execute_sync(commands.change_status(seeded.provider, seeded.credential_ids[0],
                                               "suspend", "x"))
    ledger.wait_for(ledger.events.head())
    before = {row["key"]: row["doc"] for row in
              ledger.database.query(f"SELECT key, doc FROM rm_{name}")}
    done = ShadowRebuild(ledger, name).run()
    after = {row["key"]: row["doc"] for row in
             ledger.database.query(f"SELECT key, doc FROM rm_{name}")}
    assert after == before and done.rows == len(before)
    assert ledger.read_models.positions()[name] == ledger.events.head() == done.position
    indexes = (ledger.database.query("SELECT indexname AS name FROM pg_indexes WHERE "
                                     "tablename = ?", (f"rm_{name}",))
               if ledger.database.postgres else
               ledger.database.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                                     "AND tbl_name = ?", (f"rm_{name}",)))
    assert f"rm_{name}_owner" in {row["name"] for row in indexes}
    assert not [row for row in indexes if "shadow" in row["name"]]
    ShadowRebuild(ledger, name).run()  # a second rebuild finds no leftovers in its way
