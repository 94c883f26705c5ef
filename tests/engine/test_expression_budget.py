"""Every function an expression may call is bounded by its arguments; every evaluation by steps and time.

Each refusal here is of something the evaluator used to run to the end, however long it
took (``round(1, -10**8)`` held a worker for a minute); each allowance is a designer's
ordinary use that the bounds must leave alone.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from engine.clock import PINNED_NOW
from engine.expression_limits import ActionBudget, weight
from engine.expressions import Budget, Evaluator, ExpressionError
from escalation.calendars import Calendars
from escalation.timer_functions import timer_functions

EVALUATOR = Evaluator()
BIG = 200_000  # elements: twice the weight any value an expression handles may have
DATA = {
    "items": list(range(BIG)),
    "same": list(range(BIG)),
    "text": "违法建设 " * (BIG // 5),
    "table": {str(i): i for i in range(BIG)},
    "small": [3, 1, 2],
    "words": "a b c",
    "case": {"street": "HP", "departments": ["CGW", "ZJW"]},
}


def refused(source: str, fragment: str, evaluator: Evaluator = EVALUATOR, data: dict[str, object] = DATA) -> None:
    """``source`` fails with an ExpressionError saying ``fragment``, and does so at once."""
    began = time.monotonic()
    with pytest.raises(ExpressionError) as caught:
        evaluator.evaluate(source, data)
    assert fragment in caught.value.message
    assert time.monotonic() - began < 2  # a generous bound: refusals take milliseconds


@pytest.mark.parametrize("source,fragment", [
    ("round(1, -10**8) == 0", "round() takes at most 400 digits"),
    ("round(1, -10**7)", "round() takes at most 400 digits"),
    ("round(2.5, 10**9)", "round() takes at most 400 digits"),
    ("round(1, 2.5)", "round() takes a whole number of digits"),
])
def test_round_is_bounded_by_its_digits(source: str, fragment: str) -> None:
    refused(source, fragment)


def test_round_keeps_working_within_its_bound() -> None:
    assert EVALUATOR.evaluate("round(1234.5678, 2)", {}) == 1234.57
    assert EVALUATOR.evaluate("round(123456, -400)", {}) == 0
    assert EVALUATOR.evaluate("round(1.5)", {}) == 2


@pytest.mark.parametrize("source,fragment", [
    ("int('9' * 4000)", "the number is too large"),  # parsing is quadratic in the digits
    ("int('1' * 4097, 2)", "int() reads at most 4096 characters"),
    ("float('1' * 5000)", "float() reads at most 4096 characters"),
    ("float('1e999')", "not a finite number"),
    ("float('nan')", "not a finite number"),
    ("1e308 * 10", "not a finite number"),
    ("(-8) ** 0.5", "not a real number"),
    (" + ".join(["2 ** 2048 * 2 ** 2046"] * 4), "the number is too large"),  # sums grow a bit at a time
])
def test_numbers_stay_finite_real_and_bounded(source: str, fragment: str) -> None:
    refused(source, fragment)


def test_a_huge_integer_literal_is_refused_when_checked() -> None:
    with pytest.raises(ExpressionError, match="the number is too large"):
        EVALUATOR.check("1" + "0" * 1300)
    assert EVALUATOR.evaluate("int('42') + float('0.5')", {}) == 42.5


@pytest.mark.parametrize("source", [
    "str(items)", "sorted(items)", "min(items)", "max(items)", "sum(items)", "any(items)", "all(items)",
    "items == same", "items < same", "-1 in items", "items.count(0)", "items.index(5)", "items[::1]",
    "str(table)", "table.items()", "table.keys()", "text.split()", "text.count('违')", "text.find('x')",
    "text.upper()", "text.strip()", "text.startswith(text)", "text[1:]", "table.get(items)",
])
def test_functions_methods_and_operators_on_huge_values_are_refused(source: str) -> None:
    with pytest.raises(ExpressionError, match="too large for an expression|too expensive"):
        EVALUATOR.evaluate(source, DATA)


def _nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("source", ["str(deep)", "deep == other", "deep < other", "deep in [other]"])
def test_deeply_nested_values_fail_cleanly(source: str) -> None:
    """Printing or comparing a value nested 40,000 deep (light enough to pass the weight bound) recurses in C."""
    refused(source, "the expression nests too deeply", data={"deep": _nested(40_000), "other": _nested(40_000)})


def test_constant_time_operations_on_huge_values_are_allowed() -> None:
    """Naming, measuring and indexing a large value costs nothing and stays allowed."""
    assert EVALUATOR.evaluate("len(items) + items[-1] + table['7']", DATA) == BIG + BIG - 1 + 7
    assert EVALUATOR.evaluate("bool(text) and len(text) > 10", DATA) is True


@pytest.mark.parametrize("source,expected", [
    ("sorted(small, reverse=True)", [3, 2, 1]),
    ("min(small) + max(small)", 4),
    ("max([], default=0)", 0),
    ("sum(small, 0.5)", 6.5),
    ("words.split()", ["a", "b", "c"]),
    ("words.upper().count('B')", 1),
    ("case.get('street')", "HP"),
    ("case.keys()", ["street", "departments"]),
    ("case.items()[1][1].index('ZJW')", 1),
    ("str(case['departments'])", "['CGW', 'ZJW']"),
    ("'CGW' in case['departments'] and all(small) and any([0, 1])", True),
])
def test_ordinary_calls_still_work(source: str, expected: object) -> None:
    assert EVALUATOR.evaluate(source, DATA) == expected


@pytest.mark.parametrize("source,fragment", [
    ("min(small, key=1)", "min() takes no argument key"),
    ("sum(['a'], '')", "sum() adds numbers only"),
    ("sum([[1]], [])", "sum() adds numbers only"),
])
def test_arguments_that_would_widen_a_function_are_refused(source: str, fragment: str) -> None:
    refused(source, fragment)


# -- the step budget ------------------------------------------------------------------------------------------------


def test_the_step_budget_stops_a_short_expression() -> None:
    """Forty nodes, far below the length limit: only the step budget can refuse it."""
    source = " + ".join(["1"] * 20)
    assert Evaluator(max_steps=100).evaluate(source, {}) == 20
    with pytest.raises(ExpressionError, match="too expensive to evaluate \\(more than 30 steps\\)"):
        Evaluator(max_steps=30).evaluate(source, {})


def test_the_step_budget_counts_the_elements_functions_touch() -> None:
    """``str(items)`` is three nodes, but walks every element: the budget pays for each."""
    data = {"items": list(range(2000))}
    budget = Budget(Evaluator().limits)
    Evaluator().evaluate("str(items)", data, budget)
    assert budget.steps > 2 * 2000  # the argument weighed, the printed result weighed
    with pytest.raises(ExpressionError, match="too expensive"):
        Evaluator(max_steps=3000).evaluate("str(items)", data)


def test_a_budget_is_spent_across_evaluations_that_share_it() -> None:
    budget = Budget(Evaluator(max_steps=50).limits)
    EVALUATOR.evaluate("1 + 2 + 3", {}, budget)
    spent = budget.steps
    assert spent > 0
    with pytest.raises(ExpressionError, match="too expensive"):
        for _ in range(50):
            EVALUATOR.evaluate("1 + 2 + 3", {}, budget)


@pytest.mark.parametrize("source", [
    "'ab' * 5000", "[0, 1] * 3000 + [2] * 3000", "str(medium)", "sorted(medium)", "medium[::-1]",
    "long.split()", "long.upper()", "str(medium).split(',')", "[medium, medium, medium]",
])
def test_what_an_expression_builds_is_paid_for(source: str) -> None:
    """The budget is charged at least the weight of every value an expression builds."""
    variables = {"medium": list(range(3000)), "long": "ab " * 3000}
    budget = Budget(EVALUATOR.limits)
    result = EVALUATOR.evaluate(source, variables, budget)
    assert budget.steps >= weight(result) > 3000


# -- the time budget ------------------------------------------------------------------------------------------------


class SteppingClock:
    """A monotonic clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


def test_the_deadline_stops_an_evaluation_as_it_walks() -> None:
    clock = SteppingClock(0.3)
    evaluator = Evaluator(time_limit=1.0, clock=clock)
    with pytest.raises(ExpressionError, match="took longer than 1.0 s"):
        evaluator.evaluate("1 + 2 + 3 + 4 + 5", {})
    assert clock.reads <= 5  # stopped at the first read past the deadline, not at the end
    assert Evaluator(time_limit=10.0, clock=SteppingClock(0.3)).evaluate("1 + 2 + 3 + 4 + 5", {}) == 15


def test_the_deadline_is_checked_inside_function_calls() -> None:
    """A function that overruns is caught when it returns, even as the last thing evaluated."""
    clock = SteppingClock(0.0)

    def slow() -> int:
        clock.now += 5  # five seconds pass inside the function
        return 1

    evaluator = Evaluator(time_limit=1.0, clock=clock).with_functions(slow=slow)
    with pytest.raises(ExpressionError, match="took longer than"):
        evaluator.evaluate("slow()", {})


def test_functions_a_host_offers_get_the_generic_bound() -> None:
    evaluator = EVALUATOR.with_functions(echo=lambda value: value)
    assert evaluator.evaluate("echo(small)", DATA) == [3, 1, 2]
    with pytest.raises(ExpressionError, match="too large for an expression"):
        evaluator.evaluate("echo(items)", DATA)


# -- timer helpers --------------------------------------------------------------------------------------------------


@contextmanager
def pinned(instant: datetime) -> Iterator[None]:
    """Run timer helpers at ``instant``."""
    token = PINNED_NOW.set(instant)
    try:
        yield
    finally:
        PINNED_NOW.reset(token)


@pytest.fixture
def timers(calendars: Calendars) -> Evaluator:
    """The evaluator as production builds it: with work_hours and work_days."""
    return EVALUATOR.with_functions(**timer_functions(calendars))


@pytest.mark.parametrize("source,fragment", [
    ("work_days(10**5)", "work_days() takes at most 366"),
    ("work_hours(10**6)", "work_hours() takes at most 8784"),
    ("work_hours(10**400)", "work_hours() takes at most 8784"),
    ("work_hours(-(10**400))", "must be longer than zero"),
    ("work_days(300)", "a timer may be at most 366 days away"),
    ("work_days(2.5)", "work_days() counts whole days"),
    ("work_hours('4')", "work_hours() takes a number"),
    ("work_hours(0)", "must be longer than zero"),
])
def test_timer_helpers_are_bounded_to_a_year(timers: Evaluator, source: str, fragment: str) -> None:
    with pinned(datetime(2026, 9, 28, 1, 0, tzinfo=UTC)):
        refused(source, fragment, timers, {})


def test_timer_helpers_within_a_year_still_count_working_time(timers: Evaluator) -> None:
    with pinned(datetime(2026, 9, 28, 1, 0, tzinfo=UTC)):  # Monday 09:00 in Beijing
        assert timers.evaluate("work_hours(4)", {}) == "PT18000S"  # 09:00-12:00, 13:00-14:00
        assert timers.evaluate("work_days(200)", {}).startswith("PT")




def test_an_action_budget_bounds_the_evaluations_it_contains() -> None:
    clock = SteppingClock(0.1)
    evaluator = Evaluator(time_limit=1.0, clock=clock)
    action = ActionBudget(evaluator.limits)  # ten evaluations' worth: 10 s
    for _ in range(10):
        evaluator.evaluate("1 + 1", {}, Budget(evaluator.limits, action))  # each one well within its second
    with pytest.raises(ExpressionError, match="this step of the process took longer than 10.0 s"):
        for _ in range(100):
            evaluator.evaluate("1 + 1", {}, Budget(evaluator.limits, action))
    steps = ActionBudget(Evaluator(max_steps=10).limits)
    with pytest.raises(ExpressionError, match="this step of the process is too expensive \\(more than 100 steps\\)"):
        for _ in range(100):
            Evaluator(max_steps=10).evaluate("1 + 1", {}, Budget(Evaluator(max_steps=10).limits, steps))
