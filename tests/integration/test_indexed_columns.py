"""Read models may keep document fields in indexed columns (the status lists select credential
rows by list); a table made before such a column existed is given it and rebuilt from events."""

from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from tests.helpers import seed_ledger


def test_rows_are_selected_by_an_indexed_column(ledger: Ledger):
    seeded = seed_ledger(ledger)
    ledger.wait_for(seeded.position)
    second = seeded.credential_ids[1]  # revoked last
    rows = ledger.read_models.where("status", status_list=0)
    assert sorted(r["credential_id"] for r in rows) == sorted(seeded.credential_ids)
    revoked = ledger.read_models.where("status", status_list=0, status=("revoked", "suspended"))
    assert [r["credential_id"] for r in revoked] == [second]
    position, newest = ledger.read_models.newest("status", status_list=0)
    assert position == seeded.position and newest["credential_id"] == second
    assert ledger.read_models.where("status", status_list=1) == []
    assert ledger.read_models.newest("status", status_list=1) is None


def test_a_table_without_a_declared_column_is_given_it_and_rebuilt(settings: Settings):
    first = bootstrap(settings)
    seeded = seed_ledger(first)
    first.wait_for(seeded.position)
    before = first.read_models.all("status")
    with first.database.transaction() as cursor:  # as an older release left the table
        cursor.execute("DROP INDEX rm_status_status_list")
        cursor.execute("ALTER TABLE rm_status DROP COLUMN status_list")
    first.close()

    second = bootstrap(settings)
    try:
        second.wait_for(seeded.position)
        assert second.read_models.all("status") == before
        rows = second.read_models.where("status", status_list=0)
        assert len(rows) == len(seeded.credential_ids)
    finally:
        second.close()
