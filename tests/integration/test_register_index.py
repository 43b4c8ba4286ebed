"""The register's search columns and indexes survive a shadow rebuild on both stores: the
trigram search (PostgreSQL GIN, SQLite FTS5) finds the same entries after it, and entries
written after it; the planner walks the listing index."""

from ledger import commands, inputs
from ledger.application import Ledger
from ledger.projections.rebuild import ShadowRebuild
from ledger.register_search import ProgrammeFilters
from tests.helpers import PROGRAMME, seed_ledger


def add_programme(ledger: Ledger, seeded, title: str) -> str:
    run = ledger.execute_sync
    programme_id = run(commands.submit_programme(seeded.provider, seeded.provider_id,
                                                 {**PROGRAMME, "title": title})).body["id"]
    run(commands.decide_programme(seeded.qa, programme_id,
            inputs.ProgrammeDecision("approve", approved_on="2025-01-15",
                                     review_due="2027-12-31")))
    return programme_id


def found(ledger: Ledger, q: str) -> set[str]:
    ledger.wait_for(ledger.events.head())
    page = ledger.public_register.programmes(ProgrammeFilters(q=q), limit=100)
    return {item["id"] for item in page["items"]}


def test_search_finds_the_same_entries_after_a_rebuild_and_new_ones_after_it(ledger: Ledger):
    seeded = seed_ledger(ledger)
    robotics = add_programme(ledger, seeded, "Introduction to Robotics")
    georgian = add_programme(ledger, seeded, "ქართული ენა და ლიტერატურა")
    assert found(ledger, "robot") == {robotics}
    assert found(ledger, "ლიტერატ") == {georgian}
    for _ in range(2):  # a second rebuild finds the first one's search table in its way
        ShadowRebuild(ledger, "register").run()
        assert found(ledger, "robot") == {robotics}
        assert found(ledger, "ლიტერატ") == {georgian}
    later = add_programme(ledger, seeded, "Advanced Robotics")
    assert found(ledger, "robotics") == {robotics, later}
    if not ledger.database.postgres:  # the FTS table follows the table row for row
        fts = ledger.database.query_one("SELECT count(*) AS n FROM rm_register_fts")["n"]
        rows = ledger.database.query_one("SELECT count(*) AS n FROM rm_register")["n"]
        assert fts == rows


def test_a_page_is_read_through_the_listing_index(ledger: Ledger):
    seeded = seed_ledger(ledger)
    add_programme(ledger, seeded, "Indexed Walk")
    ledger.wait_for(ledger.events.head())
    ShadowRebuild(ledger, "register").run()
    sql = ("SELECT r.key FROM rm_register r WHERE r.kind_of_entry = 'microcredential' "
           "AND (r.sort_key, r.key) > ('a', 'b') ORDER BY r.sort_key, r.key LIMIT 21")
    if ledger.database.postgres:
        with ledger.database.transaction(commit=False) as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: force the choice
            plan = " ".join(r[0] if isinstance(r, tuple) else r["QUERY PLAN"]
                            for r in cursor.execute(f"EXPLAIN {sql}").fetchall())
        names = {r["name"] for r in ledger.database.query(
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'rm_register'")}
        assert "rm_register_search_trgm" in names
    else:
        plan = " ".join(str(tuple(r)) for r in ledger.database.query(
            f"EXPLAIN QUERY PLAN {sql}"))
    assert "rm_register_listing" in plan, plan


def test_a_capped_count_stops_past_its_cap_on_both_stores(ledger: Ledger):
    seeded = seed_ledger(ledger)
    for n in range(3):
        add_programme(ledger, seeded, f"Capped Count {n}")
    ledger.wait_for(ledger.events.head())
    register, wanted = ledger.public_register, ProgrammeFilters(q="capped count")
    assert register.count_programmes(wanted) == 3
    assert register.count_programmes(wanted, at_most=1) == 2  # "more than 1"
    assert register.count_programmes(wanted, at_most=3) == 3
    assert register.count_programmes(wanted, at_most=5) == 3


def test_the_search_forms_provider_choices_are_the_accredited_providers_by_name(ledger: Ledger):
    seed_ledger(ledger)
    ledger.wait_for(ledger.events.head())
    register = ledger.public_register
    entries = list(register.all_providers())
    assert entries
    assert register.provider_choices() == [{"id": e["id"], "name": e["name"]} for e in entries]
