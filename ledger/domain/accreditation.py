"""Validity windows of accreditations and approvals, and whether one held on a given day.

Shared by the aggregates (to refuse an award) and the read models (to verify one from history),
so that both answer the question with the same rule.
"""

from collections.abc import Sequence
from typing import TypedDict

from ledger.domain.dates import within


class Window(TypedDict):
    valid_from: str
    valid_until: str


class Ending(TypedDict):
    """A withdrawal or lapse: it ends every window recorded before it, from `effective_on`."""

    effective_on: str
    windows_before: int


def held_on(day: str, windows: Sequence[Window], endings: Sequence[Ending]) -> bool:
    for index, window in enumerate(windows):
        if within(day, window["valid_from"], window["valid_until"]) and not _ended(
                index, day, endings):
            return True
    return False


def _ended(index: int, day: str, endings: Sequence[Ending]) -> bool:
    """Whether an ending recorded after the index-th window had taken effect by `day` (a
    loop, not any() over a generator: every award checks this twice)."""
    for ending in endings:
        if index < ending["windows_before"] and ending["effective_on"] <= day:
            return True
    return False
