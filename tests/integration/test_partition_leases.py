"""Partition ownership through PostgreSQL advisory locks, on a real server: a lone member owns
every partition, members share them fairly, a dead member's partitions are taken by a live
one at its next refresh, and a member whose session is cut off owns nothing until it is back."""

import time

import psycopg

from services.projector.leases import PartitionLeases


def member(url: str, projection: str = "transcripts") -> PartitionLeases:
    return PartitionLeases(url, projection, "ledger.events", 6, interval=0)


def test_members_share_the_partitions_and_a_dead_members_are_taken_over(postgres_url):
    first = member(postgres_url)
    assert first.refresh() == set(range(6))
    second = member(postgres_url)
    assert second.refresh() == set()  # everything is taken; the first is above its share now
    assert len(first.refresh()) == 3
    assert len(second.refresh()) == 3
    assert first.owned.isdisjoint(second.owned)
    third = member(postgres_url)
    for leases in (third, first, second, third):
        leases.refresh()
    assert sorted(len(m.owned) for m in (first, second, third)) == [2, 2, 2]
    assert first.owned | second.owned | third.owned == set(range(6))

    # The second dies (as SIGKILL would: the server ends its session, its locks go with it).
    pid = second._conn.info.backend_pid
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10  # the backend ends (and drops its locks) just after
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the terminated backend lingers"
            time.sleep(0.01)  # polling a condition with a deadline
    first.refresh()
    third.refresh()
    assert first.owned | third.owned == set(range(6))
    assert sorted(len(m.owned) for m in (first, third)) == [3, 3]

    # The cut-off member notices at its next refresh, owns nothing, then rejoins.
    assert second.refresh() == set()
    second.refresh()
    assert len(second.owned) == 0  # all six are held: the others shed some at their next refresh
    for leases in (first, third, second):
        leases.refresh()
    assert first.owned | second.owned | third.owned == set(range(6))
    for leases in (first, second, third):
        leases.release()


def test_projections_do_not_share_locks(postgres_url):
    transcripts, register = member(postgres_url), member(postgres_url, "register")
    assert transcripts.refresh() == register.refresh() == set(range(6))
    transcripts.release()
    register.release()
