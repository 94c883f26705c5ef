"""Deploy-time checks of multi-instance and loop counts against the bound (run time: engine.spiff.loops)."""
from __future__ import annotations

import ast

from engine.errors import Text
from engine.expressions import LITERAL_NAMES, Evaluator, ExpressionError


def cardinality_refusal(evaluator: Evaluator, text: str) -> Text | None:
    """Why a ``loopCardinality`` that needs no case data is refused: it fails, or starts too many instances.

    A cardinality that reads case data is left to run time, where the count is checked again.
    """
    try:
        tree = evaluator.compile(text)
    except ExpressionError:
        return None  # reported with the other expression checks
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    if any(isinstance(n, ast.Name) and n.id not in called and n.id not in LITERAL_NAMES for n in ast.walk(tree)):
        return None
    expression = text.strip()
    try:
        count = evaluator.evaluate(text, {})
    except ExpressionError as error:
        return Text("loopCardinality {expression} refused: {reason}",
                    {"expression": expression, "reason": Text(error.template, error.params)})
    limit = evaluator.max_instances
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return Text("loopCardinality {expression} is not a whole number of at least 0", {"expression": expression})
    if count > limit:
        return Text("loopCardinality {expression} starts {count} instances, above the limit of {limit} "
                    "(WHISTLE_MAX_MULTI_INSTANCE)", {"expression": expression, "count": count, "limit": limit})
    return None


def loop_maximum_refusal(evaluator: Evaluator, text: str | None) -> Text | None:
    """Why a standard loop's ``loopMaximum`` is refused: it allows more rounds than the bound."""
    limit = evaluator.max_instances
    value = (text or "").strip()
    # Read only short numerals: the schema check reports anything else, and a long one is over anyway.
    if value and value.lstrip("+-").isdigit() and (len(value) > 18 or int(value) > limit):
        return Text("loopMaximum {count} is above the limit of {limit} (WHISTLE_MAX_MULTI_INSTANCE)",
                    {"count": value[:30], "limit": limit})
    return None
