"""Calendar values in events are ISO strings; these helpers compare them as dates."""

from datetime import date

from ledger.domain.errors import RuleViolation


def parse(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def check_not_in_future(value: str, today: date, what: str) -> None:
    if parse(value) > today:
        raise RuleViolation(f"{what} {value} is in the future")


def within(day: str, start: str, end: str) -> bool:
    """Whether `day` lies in the closed interval [start, end]."""
    return parse(start) <= parse(day) <= parse(end)
