""""Today" is the operator's date (LEDGER_TIME_ZONE, default Asia/Tbilisi, UTC+4): an award
dated today is accepted from local midnight on, while it is still yesterday in UTC."""

from datetime import UTC, datetime

import pytest

from ledger import commands, inputs
from ledger.bootstrap import bootstrap
from ledger.calendar import Calendar
from ledger.config import Settings
from ledger.domain.errors import RuleViolation
from tests.helpers import seed_ledger

# 01:00 on 11 March 2026 in Tbilisi; 21:00 on 10 March in UTC.
ONE_AM_IN_TBILISI = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)


def _award_dated(settings: Settings, day: str) -> str:
    """"created" when an award dated `day` is issued, or the rule it broke."""
    ledger = bootstrap(settings, run_projections=False, clock=lambda: ONE_AM_IN_TBILISI)
    try:
        seeded = seed_ledger(ledger)
        item = inputs.IssueCredential(learner_id=seeded.learner_id,
                                      microcredential_id=seeded.programme_id, awarded_on=day,
                                      grade="B")
        issued = ledger.execute_sync(commands.issue_credential(seeded.provider, item))
        return "created" if issued.created else "not created"
    except RuleViolation as refused:
        return refused.detail
    finally:
        ledger.close()


def test_an_award_dated_today_is_accepted_at_one_in_the_morning_in_tbilisi(
        settings: Settings) -> None:
    assert settings.time_zone == "Asia/Tbilisi"
    assert _award_dated(settings, "2026-03-11") == "created"


def test_the_next_day_is_still_in_the_future(settings: Settings) -> None:
    assert _award_dated(settings, "2026-03-12") == "awarded_on 2026-03-12 is in the future"


def test_in_utc_the_same_award_would_be_refused(settings: Settings) -> None:
    utc = settings.model_copy(update={"time_zone": "UTC"})
    assert _award_dated(utc, "2026-03-11") == "awarded_on 2026-03-11 is in the future"


def test_an_unknown_time_zone_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="not an IANA time zone"):
        Settings(time_zone="Mars/Olympus_Mons")
    assert Calendar("Asia/Tbilisi", lambda: ONE_AM_IN_TBILISI).today().isoformat() == "2026-03-11"
