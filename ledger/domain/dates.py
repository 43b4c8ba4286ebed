"""Calendar values in events are ISO 8601 strings (YYYY-MM-DD), validated at the boundary;
in that form their string order is their calendar order, so they compare without parsing."""

from datetime import date
from typing import NewType

from ledger.domain.errors import RuleViolation

# The type of a calendar value in an event's fields (its schema says `format: date`).
IsoDate = NewType("IsoDate", str)


def check_not_in_future(value: str, today: date, what: str) -> None:
    if value > today.isoformat():
        raise RuleViolation(f"{what} {value} is in the future")


def within(day: str, start: str, end: str) -> bool:
    """Whether `day` lies in the closed interval [start, end]."""
    return start <= day <= end
