"""Read models take a batch that overlaps what they already hold (a redelivery, a relay that
resent after a crash, a replay racing the live runner) without applying any event twice: each
document skips the events at or below its own position. In process, on SQLite."""

import pytest

from ledger.application import Ledger
from ledger.projections.envelope import Envelope, from_stored
from ledger.projections.store import fold
from tests.helpers import seed_ledger


def stored(ledger: Ledger) -> list[Envelope]:
    """Every event in the store as the projections receive it (fresh objects each call)."""
    transcoder = ledger.app.mapper.transcoder
    return [from_stored(transcoder, n)
            for n in ledger.app.recorder.select_notifications(0, 100_000)]


def read_models(ledger: Ledger) -> dict[str, list]:
    return {name: ledger.read_models.all(name) for name in ledger.read_models.projections}


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # the fold, not the store
def test_an_overlapping_batch_applies_nothing_twice(ledger: Ledger):
    seeded = seed_ledger(ledger)  # every kind of lifecycle event, on documents with histories
    ledger.wait_for(seeded.position)
    ledger.runner.stop()  # from here on only this test applies events
    names = list(ledger.read_models.projections)
    once = read_models(ledger)
    # The same documents folded in memory from the whole log, each event once.
    folded = {name: [doc for _, doc in sorted(fold(projection, stored(ledger)).items())]
              for name, projection in ledger.read_models.projections.items()}
    assert folded == once
    count = len(stored(ledger))
    assert count >= 10

    for cut in range(1, count):
        ledger.read_models.reset(names)
        ledger.read_models.apply(stored(ledger)[:cut])
        # Half of what was applied again, then the rest: events below and above the
        # documents' positions in one batch.
        ledger.read_models.apply(stored(ledger)[cut // 2:])
        assert read_models(ledger) == once, f"applied up to {cut}, then from {cut // 2}"
        assert set(ledger.read_models.positions().values()) == {seeded.position}

    # The whole log once more changes nothing.
    ledger.read_models.apply(stored(ledger))
    assert read_models(ledger) == once
