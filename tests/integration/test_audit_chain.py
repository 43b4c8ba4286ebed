"""The hash chain as the ledger writes it, on SQLite and PostgreSQL: linear under concurrent
group commits from several writers, and migrated once for a store that predates it."""

from collections import Counter

from ledger import commands, inputs
from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store import chain
from tests.helpers import Seeded, count_events, in_parallel, seed_ledger
from tests.tampering import Superuser


def _links(ledger: Ledger) -> list[tuple[int, int]]:
    return [(int(r["position"]), int(r["recorded_at"])) for r in ledger.database.query(
        f"SELECT position, recorded_at FROM {chain.TABLE} ORDER BY position")]


def _event_positions(ledger: Ledger) -> list[int]:
    column = "notification_id" if ledger.database.postgres else "rowid"
    table = ledger.app.recorder.events_table_name
    return [int(r["p"]) for r in ledger.database.query(
        f"SELECT {column} AS p FROM {table} ORDER BY {column}")]


def _issue_many(ledger: Ledger, seeded: Seeded, learners: int, each: int):
    def run() -> int:
        person = inputs.PersonalDetails(given_name="Tamar", family_name="Kobakhidze",
                                        birth_date="2000-02-02")
        ids = [ledger.execute_sync(commands.enrol_learner(seeded.provider, person)).body["id"]
               for _ in range(learners)]
        futures = [ledger.submit(commands.issue_credential(seeded.provider, inputs.IssueCredential(
            learner_id=learner, microcredential_id=seeded.programme_id, awarded_on="2025-05-01")))
            for _ in range(each) for learner in ids]
        return sum(1 for f in futures if f.result(timeout=60).created)
    return run


def test_concurrent_group_commits_from_several_writers_keep_the_chain_linear(
        settings: Settings) -> None:
    first = bootstrap(settings, run_projections=False)
    seeded = seed_ledger(first)
    writers = [first, *(bootstrap(settings, run_projections=False) for _ in range(2))]
    try:
        issued = in_parallel([_issue_many(w, seeded, learners=4, each=15) for w in writers])
        assert issued == [60, 60, 60]
        links, positions, events = _links(first), _event_positions(first), count_events(first)
        report = first.audit.verify()
    finally:
        for writer in writers:
            writer.close()
    assert report.ok, report.as_json()
    assert [p for p, _ in links] == positions
    assert report.events_checked == events == len(links)
    times = [t for _, t in links]
    assert times == sorted(times), "recorded times never go back along the chain"
    assert max(Counter(times).values()) > 1, "some appends carried several events"


def test_a_store_that_predates_the_chain_is_linked_once_at_startup(settings: Settings) -> None:
    ledger = bootstrap(settings)
    seed_ledger(ledger)
    seed_ledger(ledger)
    events = len(_event_positions(ledger))
    superuser = Superuser(settings, ledger)
    try:
        # As it was before the chain existed (and before versioned schema migrations).
        superuser.run(f"DROP TABLE {chain.TABLE}")
        superuser.run("DROP TABLE schema_migrations")
        for column in ("expires_at", "revoked_at"):  # added by migration 3
            superuser.run(f"ALTER TABLE principals DROP COLUMN {column}")
    finally:
        superuser.close()
    ledger.close()

    ledger = bootstrap(settings)
    try:
        report = ledger.audit.verify()
        links = _links(ledger)
        signed = ledger.audit.checkpoints.all()
        stamps = [chain.micros(ledger.app.mapper.to_domain_event(n).timestamp)
                  for n in ledger.app.recorder.select_notifications(1, events)]
    finally:
        ledger.close()
    assert report.ok and report.events_checked == events == len(links)
    assert [t for _, t in links] == stamps, "each event's recorded time is its own timestamp"
    assert [c.position for c in signed] == [links[-1][0]], "the linked history is anchored"

    again = bootstrap(settings)
    try:
        assert _links(again) == links and len(again.audit.checkpoints.all()) == 1
    finally:
        again.close()


def test_an_unchained_event_in_a_chained_store_is_never_linked_at_startup(
        settings: Settings) -> None:
    ledger = bootstrap(settings)
    seed_ledger(ledger)
    positions = _event_positions(ledger)
    superuser = Superuser(settings, ledger)
    try:
        stream, version, topic, state = superuser.event(positions[-1])
        superuser.insert_event(positions[-1] + 1, stream, version + 1, topic, state)
    finally:
        superuser.close()
    ledger.close()
    ledger = bootstrap(settings)
    try:
        report = ledger.audit.verify().as_json()
    finally:
        ledger.close()
    assert report["first_bad_position"] == positions[-1] + 1
    assert report["problems"][0]["kind"] == "unchained"
