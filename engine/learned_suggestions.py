"""How a learned ranking and a decision table's answer become one suggestion (人机协同).

The rules speak first. A model that has learned from at least ``learn_after`` of people's decisions
replaces the rules' value when it is surer than the rules say they are; before that (a cold start
from the category catalogue) it only fills a value the rules left empty. Either way the suggestion
says where it came from (``source``: rules or learned) and lists the model's next choices.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.learning_plans import LearningPlan

SOURCE, ALTERNATIVES = "source", "alternatives"  # keys added to the decision's result
RULES, LEARNED = "rules", "learned"
MAX_ALTERNATIVES = 2
MOST = 0.99  # a model is never certain: a person confirms what it says


@dataclass(frozen=True)
class Ranking:
    """A model's most likely values (most likely first, with probabilities) and how many decisions taught it."""

    choices: tuple[tuple[str, float], ...]
    decisions: int


def merge(result: Any, plan: LearningPlan, ranking: Ranking | None) -> Any:
    """The decision's result with the model's answer where it may speak; unchanged without a ranking."""
    if ranking is None or not ranking.choices or not (result is None or isinstance(result, dict)):
        return result
    merged = dict(result or {})  # no rule fitted: the model alone may suggest
    ruled = merged.get(plan.output)
    sure = merged.get(plan.confidence)
    sure = float(sure) if isinstance(sure, int | float) and not isinstance(sure, bool) else 0.0
    value, probability = ranking.choices[0]
    empty = ruled is None or ruled == ""
    if empty or (ranking.decisions >= plan.after and probability > sure and value != ruled):
        merged[plan.output], merged[plan.confidence], merged[SOURCE] = value, min(round(probability, 2), MOST), LEARNED
    else:
        merged[SOURCE] = RULES
    merged[ALTERNATIVES] = [v for v, _p in ranking.choices if v != merged[plan.output]][:MAX_ALTERNATIVES]
    return merged
