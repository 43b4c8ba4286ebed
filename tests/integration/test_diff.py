"""`audit diff` on a live system (the API serving, writes in flight) reports nothing; it lists
differences planted in the read models, each with its kind, and a rebuild repairs them."""

import random
import threading

import orjson

from ledger.audit.replay import diff
from ledger.config import Settings
from tests.helpers import Api, build_world
from tests.integration.test_replay import ledger_cli


class Writer:
    """Issues and suspends credentials over HTTP until stopped."""

    def __init__(self, api: Api) -> None:
        self.world = build_world(api)
        self.learners = [self.world.new_learner() for _ in range(5)]
        self.stop = threading.Event()
        self.written = 0
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = random.Random(7)
        while not self.stop.is_set():
            issued = self.world.issue(learner_id=rng.choice(self.learners))
            if rng.random() < 0.3:
                response = self.world.provider.post(
                    f"/v1/credentials/{issued['id']}/suspend", {"reason": "check"})
                if response.status_code != 200:
                    self.failures.append(response.text)
            self.written += 1

    def __enter__(self) -> "Writer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def wait_until(condition, seconds: float = 60) -> None:
    import time
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_diff_of_a_live_system_with_writes_in_flight_reports_nothing(api: Api):
    ledger = api.ledger
    reports, overlapped = [], 0
    with Writer(api) as writer:
        wait_until(lambda: writer.written >= 30)
        # Until three diffs have run while events were being appended.
        while overlapped < 3 and len(reports) < 500:
            reports.append(diff(ledger))
            overlapped += ledger.events.head() > reports[-1].head
    assert not writer.failures
    assert overlapped == 3
    assert all(report.differences == [] for report in reports), \
        [r for r in reports if r.differences]
    assert all(report.compared > 50 for report in reports)


def plant(ledger, table: str, sql: str, params: tuple) -> None:
    with ledger.database.transaction() as cursor:
        cursor.execute(sql.format(table=table), params)


def test_diff_lists_every_planted_difference_and_a_rebuild_repairs_them(
        api: Api, settings: Settings):
    ledger = api.ledger
    world = build_world(api)
    issued = [world.issue() for _ in range(4)]
    world.provider.post(f"/v1/credentials/{issued[0]['id']}/revoke", {"reason": "error"})
    ledger.wait_for(ledger.events.head())
    assert ledger_cli(settings, "audit", "diff").returncode == 0

    changed = ledger.read_models.get("transcripts", issued[1]["id"])
    changed["status"] = "revoked"
    plant(ledger, "rm_transcripts", "UPDATE {table} SET doc = ? WHERE key = ?",
          (orjson.dumps(changed).decode(), issued[1]["id"]))
    plant(ledger, "rm_transcripts", "UPDATE {table} SET position = position - 1 WHERE key = ?",
          (issued[2]["id"],))
    plant(ledger, "rm_status", "DELETE FROM {table} WHERE key = ?", (issued[3]["id"],))
    plant(ledger, "rm_register", "INSERT INTO {table} (key, owner, position, doc) "
          "VALUES (?, NULL, 1, ?)", ("forged-provider", '{"kind_of_entry": "provider"}'))
    plant(ledger, "rm_status", "UPDATE {table} SET status = 'active' WHERE key = ?",
          (issued[0]["id"],))  # the indexed column disagrees with the document

    done = ledger_cli(settings, "audit", "diff", "--json")
    assert done.returncode == 1, done.stderr.decode()
    report = orjson.loads(done.stdout)
    found = {(d["projection"], d["key"], d["kind"]) for d in report["differences"]}
    assert found == {("transcripts", issued[1]["id"], "changed"),
                     ("transcripts", issued[2]["id"], "stale"),
                     ("status", issued[3]["id"], "missing"),
                     ("register", "forged-provider", "unexpected"),
                     ("status", issued[0]["id"], "changed")}
    fields = {d["key"]: d["fields"] for d in report["differences"] if d["kind"] == "changed"}
    assert fields == {issued[1]["id"]: ["status"], issued[0]["id"]: ["(column status)"]}

    for name in ("transcripts", "status", "register"):
        rebuilt = ledger_cli(settings, "projections", "rebuild", name)
        assert rebuilt.returncode == 0, rebuilt.stderr.decode()
    done = ledger_cli(settings, "audit", "diff")
    assert done.returncode == 0, done.stdout.decode()
    assert b"no differences" in done.stdout


def test_rows_still_catching_up_after_the_settled_position_are_in_flight_not_differences(
        ledger):
    """As with Kafka projectors, one row is behind the others: it has applied a suspension
    (after the settled position) but not yet the reinstatement that followed."""
    from ledger import commands
    from tests.helpers import seed_ledger

    seeded = seed_ledger(ledger)
    credential = seeded.credential_ids[0]
    suspended = ledger.execute_sync(commands.change_status(
        seeded.provider, credential, "suspend", "inquiry")).body["position"]
    ledger.wait_for(suspended)
    behind = ledger.database.query_one("SELECT doc FROM rm_transcripts WHERE key = ?",
                                       (credential,))["doc"]
    reinstated = ledger.execute_sync(commands.change_status(
        seeded.provider, credential, "reinstate", "cleared")).body["position"]
    ledger.wait_for(reinstated)
    ledger.runner.stop()
    plant(ledger, "rm_transcripts", "UPDATE {table} SET doc = ?, position = ? WHERE key = ?",
          (behind, suspended, credential))
    plant(ledger, "rm_positions", "UPDATE {table} SET position = ?", (suspended - 1,))

    report = diff(ledger)
    assert (report.settled, report.differences, report.in_flight) == (suspended - 1, [], 1)

    plant(ledger, "rm_transcripts", "UPDATE {table} SET position = ? WHERE key = ?",
          (reinstated, credential))  # the suspended state claiming to be the newest
    assert [(d.key, d.kind, d.fields) for d in diff(ledger).differences] == \
        [(credential, "changed", ["history", "status"])]
