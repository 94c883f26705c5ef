"""The whitelisted evaluator: what designers need works, escapes and bombs fail fast."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expressions import Evaluator, ExpressionError

EVALUATOR = Evaluator()
DATA = {"satisfied": True, "departments": ["CGW", "ZJW"], "category": "WFJS", "score": 4,
        "case": {"street": "HP"}, "text": "违法建设"}


@pytest.mark.parametrize("source,expected", [
    ("satisfied == True", True),
    ("${satisfied == true}", True),
    ("not satisfied", False),
    ("len(departments) >= 2 and category in ['WFJS', 'HJWS']", True),
    ("score * 2 + 1", 9),
    ("case['street']", "HP"),
    ("case.get('district', 'SFQ')", "SFQ"),
    ("departments[0]", "CGW"),
    ("departments[-1:]", ["ZJW"]),
    ("'urgent' if score > 3 else 'normal'", "urgent"),
    ("text.startswith('违法')", True),
    ("max(score, 2) == 4", True),
    ("sum([1, 2, 3])", 6),
    ("null is None", True),
    ("2 ** 10", 1024),
])
def test_allowed_expressions_evaluate(source: str, expected: object) -> None:
    assert EVALUATOR.evaluate(source, DATA) == expected


@pytest.mark.parametrize("source,fragment", [
    ("().__class__.__base__.__subclasses__()", "not allowed"),
    ("__import__('os').system('id')", "not allowed"),
    ("open('/etc/passwd').read()", "not allowed"),
    ("open('/etc/passwd')", "unknown function open"),
    ("eval('1')", "unknown function eval"),
    ("getattr(score, 'real')", "unknown function getattr"),
    ("lambda: 1", "Lambda is not allowed"),
    ("[x for x in departments]", "ListComp is not allowed"),
    ("score.real", "attribute .real is not allowed"),
    ("text.format()", "attribute .format is not allowed"),
    ("(yield 1)", "not allowed"),
    ("f'{score}'", "JoinedStr is not allowed"),
    ("x := 1", "does not parse"),
    ("score +", "does not parse"),
    ("", "empty"),
])
def test_refused_expressions_fail_at_check_time(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as error:
        EVALUATOR.check(source)
    assert fragment in error.value.message


@pytest.mark.parametrize("source", [
    "10**10**10",
    "9**999999",
    "'a' * 10**9",
    "[0] * 10**8",
    "[[1] * 99999] * 99999",
    "str([[1] * 999] * 999)",
    "[[[1] * 99] * 99] * 99",
    "(10**1000) * (10**1000) * (10**1000) * (10**1000) * (10**1000)",
    "sum([[1]], [])",
    "'%0999999999d' % 1",
])
def test_bombs_fail_fast_with_an_error(source: str) -> None:
    with pytest.raises(ExpressionError):
        EVALUATOR.evaluate(source, DATA)


def test_unknown_names_and_data_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="missing is not defined"):
        EVALUATOR.evaluate("missing == 1", DATA)
    with pytest.raises(ExpressionError, match="KeyError"):
        EVALUATOR.evaluate("case['nope']", DATA)


def test_the_step_budget_bounds_long_expressions() -> None:
    source = " + ".join(["1"] * 3000)
    with pytest.raises(ExpressionError, match="too expensive|longer than"):
        Evaluator(max_steps=1000).evaluate(source, {})


def test_extra_functions_can_be_offered() -> None:
    evaluator = EVALUATOR.with_functions(work_hours=lambda n: f"PT{n}H")
    assert evaluator.evaluate("work_hours(4)", {}) == "PT4H"
    with pytest.raises(ExpressionError):
        EVALUATOR.check("work_hours(4)")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_either_evaluates_or_raises_expression_error(source: str) -> None:
    try:
        EVALUATOR.evaluate(source, DATA)
    except ExpressionError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_arithmetic_matches_python(a: int, b: int) -> None:
    variables = {"a": a, "b": b}
    assert EVALUATOR.evaluate("a * b - a + b", variables) == a * b - a + b
    assert EVALUATOR.evaluate("a < b or a == b", variables) == (a <= b)
