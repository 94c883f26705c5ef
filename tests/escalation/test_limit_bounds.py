"""Every limit the product parses is bounded (a year of its unit): policies and extension requests alike."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from escalation import limits
from escalation.calendar import WorkCalendar
from escalation.limits import MAX_LIMIT_DAYS, Limit, LimitError, Unit
from escalation.policies import read_policy
from tests.support import WHISTLE_PACK

POLICY = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")
HUGE = "9" * 20


@pytest.mark.parametrize("text,unit", [
    (f"{HUGE}wd", "wd"), ("3000000wd", "wd"), (f"{MAX_LIMIT_DAYS + 1}d", "d"), (f"{HUGE}min", "min"),
    (f"{MAX_LIMIT_DAYS * 24 + 1}h", "h"), (f"{MAX_LIMIT_DAYS * 24 + 1}wh", "wh"), ("9" * 5000 + "h", "h"),
])
def test_limits_longer_than_a_year_are_refused_naming_the_maximum(text: str, unit: str) -> None:
    with pytest.raises(LimitError) as refused:
        Limit.parse(text)
    assert refused.value.code == "maximum"
    assert refused.value.params["maximum"] == f"{limits.MAXIMUM[Unit(unit)]}{unit}"
    assert len(str(refused.value)) < 200  # the hostile text is quoted cut short


@pytest.mark.parametrize("text", [f"{MAX_LIMIT_DAYS}d", f"{MAX_LIMIT_DAYS}wd", f"{MAX_LIMIT_DAYS * 24}h",
                                  f"{MAX_LIMIT_DAYS * 24 * 60}min", "0000004wh", "1.5h"])
def test_limits_up_to_a_year_are_read(text: str) -> None:
    assert Limit.parse(text).amount > 0


def test_a_year_of_working_days_is_counted_quickly() -> None:
    start = datetime(2026, 9, 28, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    begun = time.process_time()
    due = Limit.parse(f"{MAX_LIMIT_DAYS}wd").due(start, WorkCalendar())
    assert due.year == 2028 and time.process_time() - begun < 5  # generous: the bound keeps it to a loop of ~500 days


def test_a_due_date_beyond_the_calendar_is_a_limit_error_not_an_overflow() -> None:
    start = datetime(9999, 12, 1, 9, 0, tzinfo=UTC)
    for text in ("366d", "366wd", "8784h", "8784wh"):
        with pytest.raises(LimitError) as refused:
            Limit.parse(text).due(start, WorkCalendar(statutory=False))
        assert refused.value.code == "overflow"


@pytest.mark.parametrize("written", [f"{HUGE}wd", "3000000wd"])
def test_a_policy_with_an_unbounded_limit_gets_a_located_problem(written: str) -> None:
    change = "enforcement:  {sign: 2wh,"
    line = POLICY[:POLICY.index(change)].count("\n") + 1
    policy, problems = read_policy(POLICY.replace(change, f"enforcement:  {{sign: {written},"), "whistle.yaml")
    assert policy is None
    assert [(p.line, p.element, p.message) for p in problems] == [
        (line, "sign", f"'{written}': a limit may be at most 366wd (one year)")]
