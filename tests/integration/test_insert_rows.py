"""Many rows in one statement (Cursor.insert_rows) on both stores: every value arrives as the
column's type, whatever mix of Python types a batch of JSON documents hands it, and the
statement's tail (an upsert) applies."""

from ledger.bootstrap import Ledger

COLUMNS = {"key": "TEXT", "n": "{bigint}", "x": "{real}", "label": "TEXT"}


def test_mixed_numbers_nulls_and_quotes_in_one_batch(ledger: Ledger):
    database = ledger.database
    database.execute_script([database.ddl(
        "CREATE TABLE t_rows (key TEXT PRIMARY KEY, n {bigint}, x {real}, label TEXT)")])
    rows = [("a", 1, 4, 'say "hi"\\n'), ("b", None, 4.5, None), ("c", 2**40, None, 7),
            ("d", 3, 0, "ქართული")]
    with database.transaction() as cursor:
        cursor.insert_rows("t_rows", COLUMNS, rows)
    with database.transaction() as cursor:
        cursor.insert_rows("t_rows", COLUMNS, [("a", 5, 1.5, "again")],
                           "ON CONFLICT (key) DO UPDATE SET n = excluded.n, x = excluded.x, "
                           "label = excluded.label")
    found = {r["key"]: (r["n"], r["x"], r["label"])
             for r in database.query("SELECT key, n, x, label FROM t_rows")}
    assert found == {"a": (5, 1.5, "again"), "b": (None, 4.5, None),
                     "c": (2**40, None, "7"), "d": (3, 0.0, "ქართული")}
