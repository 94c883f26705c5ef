"""The functions and methods expressions may call, each bounded by its arguments before it runs.

Every entry charges the evaluation's budget for the elements it will touch and refuses
arguments whose cost would not be bounded (``round(1, -10**8)`` computes ``10**10**8``;
``int('9' * n)`` is quadratic in ``n``). Functions a host adds with
:meth:`engine.expressions.Evaluator.with_functions` are plain callables: they get the
generic bound (every argument and the result weighed and charged).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.expression_limits import (
    MAX_INT_BITS,
    MAX_NUMBER_TEXT,
    MAX_ROUND_DIGITS,
    MAX_SEQUENCE_LENGTH,
    Budget,
    ExpressionError,
    check_number,
    is_int,
)


@dataclass(frozen=True)
class Metered:
    """A function that charges its own cost; ``run`` is called as ``run(budget, *args, **kwargs)``."""

    run: Callable[..., Any]


def call(function: Callable[..., Any], budget: Budget, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """Call an offered function within ``budget``; the result is weighed and charged too."""
    if isinstance(function, Metered):
        result = function.run(budget, *args, **kwargs)
    else:
        budget.charge_weight(*args, *kwargs.values())
        result = function(*args, **kwargs)
    return admit(budget, result)


def admit(budget: Budget, result: Any) -> Any:
    """Charge a freshly built value and refuse it when it is too large."""
    check_number(result)
    if isinstance(result, str | list | tuple | dict | set | frozenset):
        budget.charge_weight(result)
    else:
        budget.charge()
    return result


def _no_keywords(name: str, kwargs: Mapping[str, Any], allowed: frozenset[str] = frozenset()) -> None:
    unknown = set(kwargs) - allowed
    if unknown:
        raise ExpressionError("{name}() takes no argument {argument}", name=name, argument=sorted(unknown)[0])


def _len(budget: Budget, value: Any) -> int:
    budget.charge()
    return len(value)


def _over_items(name: str, function: Callable[..., Any], allowed: frozenset[str] = frozenset()) -> Metered:
    """``min``, ``max``, ``any``, ``all``: one pass over the arguments, comparing elements as it goes."""

    def run(budget: Budget, *args: Any, **kwargs: Any) -> Any:
        _no_keywords(name, kwargs, allowed)
        budget.charge_weight(*args, *kwargs.values())
        return function(*args, **kwargs)

    return Metered(run)


def _sorted(budget: Budget, values: Any, *, reverse: bool = False) -> list[Any]:
    size = budget.charge_weight(values)
    # n log n comparisons, each at most as costly as the elements compared.
    budget.charge(size * max(1, math.ceil(math.log2(max(size, 2)))))
    return sorted(values, reverse=bool(reverse))


def _sum(budget: Budget, values: Any, start: int | float = 0) -> Any:
    """``sum`` over numbers only: summing lists would concatenate without a bound."""
    if not isinstance(start, int | float):
        raise ExpressionError("sum() adds numbers only")
    budget.charge_weight(values)
    total = start
    for value in values:
        if not isinstance(value, int | float):
            raise ExpressionError("sum() adds numbers only")
        total = check_number(total + value)
    return total


def _abs(budget: Budget, value: Any) -> Any:
    budget.charge()
    return abs(value)


def _round(budget: Budget, number: Any, ndigits: Any = None) -> Any:
    budget.charge()
    if ndigits is not None:
        if not is_int(ndigits):
            raise ExpressionError("round() takes a whole number of digits")
        if abs(ndigits) > MAX_ROUND_DIGITS:
            raise ExpressionError("round() takes at most {limit} digits either side of the point",
                                  limit=MAX_ROUND_DIGITS)
    return round(number, ndigits)


def _number_text(name: str, value: Any) -> None:
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise ExpressionError("{name}() reads at most {limit} characters", name=name, limit=MAX_NUMBER_TEXT)


def _int(budget: Budget, value: Any = 0, *base: Any) -> int:
    budget.charge(1 + (len(value) if isinstance(value, str) else 0))
    _number_text("int", value)
    result = int(value, *base)
    if result.bit_length() > MAX_INT_BITS:
        raise ExpressionError("the number is too large (more than {bits} bits)", bits=MAX_INT_BITS)
    return result


def _float(budget: Budget, value: Any = 0.0) -> float:
    budget.charge(1 + (len(value) if isinstance(value, str) else 0))
    _number_text("float", value)
    result = float(value)
    if not math.isfinite(result):
        raise ExpressionError("the result is not a finite number")
    return result


def _str(budget: Budget, value: Any = "") -> str:
    # Printing walks the whole value; the weight is what it will walk.
    budget.charge_weight(value)
    return str(value)


def _bool(budget: Budget, value: Any = False) -> bool:
    budget.charge()
    return bool(value)


DEFAULT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": Metered(_len),
    "min": _over_items("min", min, frozenset({"default"})),
    "max": _over_items("max", max, frozenset({"default"})),
    "sum": Metered(_sum),
    "abs": Metered(_abs),
    "round": Metered(_round),
    "int": Metered(_int),
    "float": Metered(_float),
    "str": Metered(_str),
    "bool": Metered(_bool),
    "sorted": Metered(_sorted),
    "any": _over_items("any", any),
    "all": _over_items("all", all),
}


def _string_method(name: str) -> Metered:
    """A method of ``str``: linear in the string and its arguments."""

    def run(budget: Budget, target: str, *args: Any, **kwargs: Any) -> Any:
        budget.charge(len(target) + 1)
        budget.charge_weight(*args, *kwargs.values())
        return getattr(target, name)(*args, **kwargs)

    return Metered(run)


def _split(budget: Budget, target: str, sep: Any = None, maxsplit: Any = -1) -> list[str]:
    budget.charge(2 * len(target) + 1)  # every character lands in a part, and each part is an object
    budget.charge_weight(sep)
    return target.split(sep, maxsplit)


def _lookup(budget: Budget, target: dict[Any, Any], key: Any, default: Any = None) -> Any:
    budget.charge_weight(key)  # hashing a key walks it
    return target.get(key, default)


def _view(kind: str) -> Metered:
    """``keys``, ``values``, ``items`` as lists: a view would hide its size from :func:`weight`."""

    def run(budget: Budget, target: dict[Any, Any]) -> list[Any]:
        budget.charge(len(target) + 1)
        return list(getattr(target, kind)())

    return Metered(run)


def _sequence_search(name: str) -> Metered:
    """``count`` and ``index`` of lists and tuples: compare the item with every element."""

    def run(budget: Budget, target: Sequence[Any], *args: Any) -> Any:
        budget.charge_weight(target, *args)
        return getattr(target, name)(*args)

    return Metered(run)


# Methods by the exact type of the value they are called on; checked again at run time,
# since the compile check only knows the name (lists have .index, strings must not).
METHODS: dict[type, dict[str, Metered]] = {
    str: {
        "startswith": _string_method("startswith"),
        "endswith": _string_method("endswith"),
        "lower": _string_method("lower"),
        "upper": _string_method("upper"),
        "strip": _string_method("strip"),
        "split": Metered(_split),
        "count": _string_method("count"),
        "find": _string_method("find"),
    },
    dict: {"get": Metered(_lookup), "keys": _view("keys"), "values": _view("values"), "items": _view("items")},
    list: {"count": _sequence_search("count"), "index": _sequence_search("index")},
    tuple: {"count": _sequence_search("count"), "index": _sequence_search("index")},
}
METHOD_NAMES = frozenset(name for table in METHODS.values() for name in table)


def call_method(budget: Budget, target: Any, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """Call an allowed method of ``target``; any other is refused for its type."""
    method = METHODS.get(type(target), {}).get(name)
    if method is None:
        raise ExpressionError(".{name}() is not allowed on {kind}", name=name, kind=type(target).__name__)
    return admit(budget, method.run(budget, target, *args, **kwargs))


__all__ = ["DEFAULT_FUNCTIONS", "MAX_SEQUENCE_LENGTH", "METHOD_NAMES", "Metered", "call", "call_method"]
