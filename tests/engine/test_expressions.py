"""The whitelisted evaluator: what designers need works, escapes and bombs fail fast."""
from __future__ import annotations

import builtins
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expression_limits import weight
from engine.expressions import DEFAULT_FUNCTIONS, Budget, Evaluator, ExpressionError

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
    """900 elements fit the length limit (2705 characters), so only the step budget can refuse them."""
    source = f"sum([{', '.join(['1'] * 900)}])"
    assert len(source) < 4000
    assert Evaluator().evaluate(source, {}) == 900
    with pytest.raises(ExpressionError, match="too expensive"):
        Evaluator(max_steps=1000).evaluate(source, {})


@pytest.mark.parametrize("source,variables", [
    ("__builtins__", {"__builtins__": {"open": open}}),
    ("__class__ == 1", {"__class__": 1}),
    ("len(__dict__)", {"__dict__": {}}),
])
def test_dunder_names_are_refused_even_when_the_host_passes_them(source: str, variables: dict[str, object]) -> None:
    """Script engines put ``__builtins__`` into the variables they hand over; an expression never reads it."""
    with pytest.raises(ExpressionError, match="name __\\w+__ is not allowed"):
        EVALUATOR.check(source)
    with pytest.raises(ExpressionError, match="is not allowed"):
        EVALUATOR.evaluate(source, variables)


@pytest.mark.parametrize("source,method,kind", [
    ("text.index('违')", "index", "str"),  # lists have .index, so the name passes the compile check
    ("case.count('street')", "count", "dict"),
    ("departments.split(',')", "split", "list"),
    ("departments.get(0)", "get", "list"),
    ("score.count(1)", "count", "int"),
    ("case.items().get('street')", "get", "list"),
])
def test_methods_are_checked_against_the_type_they_are_called_on(source: str, method: str, kind: str) -> None:
    EVALUATOR.check(source)  # each name is a method of some allowed type
    with pytest.raises(ExpressionError) as error:
        EVALUATOR.evaluate(source, DATA)
    assert error.value.message == f".{method}() is not allowed on {kind}"


def test_extra_functions_can_be_offered() -> None:
    evaluator = EVALUATOR.with_functions(work_hours=lambda n: f"PT{n}H")
    assert evaluator.evaluate("work_hours(4)", {}) == "PT4H"
    with pytest.raises(ExpressionError):
        EVALUATOR.check("work_hours(4)")


VALUE_TYPES = (bool, int, float, str, type(None), list, tuple, dict, set)
SMALL = {"a": 7, "b": -3, "x": 2.5, "s": "ab c", "xs": [3, 1, 2], "t": (1, "a"), "d": {"k": 1}}
PYTHON_FUNCTIONS = {name: getattr(builtins, name) for name in DEFAULT_FUNCTIONS}


def outcome(source: str, variables: dict[str, object], evaluator: Evaluator = EVALUATOR) -> tuple[object, Budget]:
    """The value, or the ExpressionError, of one evaluation with the budget it spent.

    Any other exception fails the test: every failure must reach the designer as an ExpressionError.
    """
    budget = Budget(evaluator.limits)
    try:
        return evaluator.evaluate(source, variables, budget), budget
    except ExpressionError as error:
        assert error.message, "an expression error must say what went wrong"
        return error, budget


def assert_bounded(result: object, budget: Budget, variables: dict[str, object]) -> None:
    """A value of plain data, paid for: the steps cover every element built beyond the variables."""
    if isinstance(result, ExpressionError):
        return
    assert type(result) in VALUE_TYPES, f"{type(result).__name__} leaked out of an expression"
    assert budget.steps <= budget.limits.max_steps
    assert weight(result) <= budget.steps + weight(variables)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_either_evaluates_or_raises_expression_error(source: str) -> None:
    result, budget = outcome(source, DATA)
    assert_bounded(result, budget, DATA)


def _call(name: str, *args: str) -> str:
    return f"{name}({', '.join(args)})"


_LEAVES = st.one_of(
    st.integers(-10**4, 10**4).map(str), st.sampled_from(["10**8", "10**30", "2**64", "-10**7", "0", "0.5", "1e300"]),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr), st.text("ab 违,", max_size=4).map(repr),
    st.sampled_from(sorted(SMALL)), st.sampled_from(["True", "False", "None"]),
)


def _composite(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    compare = st.tuples(inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    logic = st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["-", "not "]), inner).map(lambda t: f"({t[0]}{t[1]})")
    choice = st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})")
    sequence = st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]")
    subscript = st.tuples(inner, st.sampled_from(["[0]", "[-1]", "[1:]", "[::2]", "['k']"])).map("".join)
    one = st.tuples(st.sampled_from(["len", "abs", "int", "float", "str", "bool", "sorted", "any", "all", "sum",
                                     "min", "max", "round"]), inner).map(lambda t: _call(*t))
    two = st.tuples(st.sampled_from(["round", "min", "max", "sum", "int"]), inner, inner).map(lambda t: _call(*t))
    method = st.tuples(inner, st.sampled_from([".split()", ".count('a')", ".find('b')", ".upper()", ".strip()",
                                               ".startswith('a')", ".index(1)", ".get('k')"])).map("".join)
    return st.one_of(binary, compare, logic, unary, choice, sequence, subscript, one, two, method)


EXPRESSIONS = st.recursive(_LEAVES, _composite, max_leaves=12)


# Generated text such as "1if" makes the parser warn about the literal; the answer is what counts.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS)
def test_generated_expressions_agree_with_python_or_fail_cleanly(source: str) -> None:
    """Whatever the evaluator computes, Python computes the same; whatever it cannot, it refuses cleanly."""
    result, budget = outcome(source, SMALL)
    assert_bounded(result, budget, SMALL)
    if not isinstance(result, ExpressionError):
        with warnings.catch_warnings():  # Python warns about literals like 0[0] while compiling
            warnings.simplefilter("ignore")
            expected = eval(source, {"__builtins__": PYTHON_FUNCTIONS}, dict(SMALL))  # noqa: S307 - ours ran it
        assert result == expected and type(result) is type(expected), source


@settings(max_examples=100, deadline=None)
@given(EXPRESSIONS)
def test_no_generated_expression_outruns_a_small_budget(source: str) -> None:
    """With 40 steps and a clock that has already run out, nothing computes past either bound."""
    small = Evaluator(max_steps=40)
    result, budget = outcome(source, SMALL, small)
    assert budget.steps <= 40 or (isinstance(result, ExpressionError) and "too expensive" in result.message)
    if isinstance(result, ExpressionError) and "parse" in result.message:
        return  # not an evaluation: refused before any step
    late = Evaluator(time_limit=0.0, clock=iter(range(10**6)).__next__)
    result, _ = outcome(source, SMALL, late)
    assert isinstance(result, ExpressionError) and "took longer than" in result.message


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_arithmetic_matches_python(a: int, b: int) -> None:
    variables = {"a": a, "b": b}
    assert EVALUATOR.evaluate("a * b - a + b", variables) == a * b - a + b
    assert EVALUATOR.evaluate("a < b or a == b", variables) == (a <= b)
