"""The operator's calendar: "today" for award and decision dates is the date in the ledger's
time zone (LEDGER_TIME_ZONE, default Asia/Tbilisi), not in UTC, so that an award dated today is
accepted from local midnight on. The clock is injectable, so tests need not wait for a time."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Tbilisi"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Calendar:
    def __init__(self, time_zone: str = DEFAULT_TIME_ZONE, clock: Clock = utc_now) -> None:
        self.zone = ZoneInfo(time_zone)
        self.clock = clock

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()
