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
        if not within(day, window["valid_from"], window["valid_until"]):
            continue
        ended = any(
            index < ending["windows_before"] and ending["effective_on"] <= day
            for ending in endings
        )
        if not ended:
            return True
    return False
