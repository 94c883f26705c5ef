"""What one expression evaluation may cost: the limits, the running budget and the size of a value.

Expressions come from uploaded BPMN files and run inside request handlers and the sweep, so
each evaluation gets a step budget (a step is a node visited or an element an operation
touches) and a wall-clock deadline, both checked as it walks and inside every function.
Single operations are bounded by their arguments before they run, because one C-level call
(``round(1, -10**8)``) cannot be interrupted once started.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import render

MAX_SOURCE_LENGTH = 4000
MAX_STEPS = 200_000  # a few tens of milliseconds of the most expensive operations
TIME_LIMIT = 1.0  # seconds of wall-clock time for one evaluation
MAX_INT_BITS = 4096
MAX_SEQUENCE_LENGTH = 100_000  # the weight any value built or handled by an expression may have
MAX_NUMBER_TEXT = 4096  # characters int() and float() will read
MAX_ROUND_DIGITS = 400  # round(x, n): |n| above this only costs time (10**n is computed)
MAX_MULTI_INSTANCE = 100  # instances one multi-instance activity or loop may start
ACTION_FACTOR = 10  # one engine action may spend ten evaluations' steps and time in all


class ExpressionError(Exception):
    """An expression is refused, does not parse, or failed while it ran.

    Like the engine's other errors it carries an English template and its parameters.
    """

    def __init__(self, template: str, expression: str = "", **params: Any) -> None:
        self.template = template
        self.params = params
        self.expression = expression
        super().__init__(render(template, params))

    @property
    def message(self) -> str:
        """The English message with parameters filled in."""
        return render(self.template, self.params)


@dataclass(frozen=True)
class Limits:
    """The cost bounds of one evaluation; ``clock`` is injectable so tests need not wait."""

    max_steps: int = MAX_STEPS
    time_limit: float = TIME_LIMIT
    clock: Callable[[], float] = time.monotonic

    def for_action(self) -> Limits:
        """The bounds of one engine action (a completion, a message, a timer): many evaluations' worth."""
        return Limits(self.max_steps * ACTION_FACTOR, self.time_limit * ACTION_FACTOR, self.clock)


class ActionBudget:
    """The budget of one engine action: every evaluation and every engine step in it is charged here."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits.for_action()
        self.steps = 0
        self.deadline = limits.clock() + self.limits.time_limit

    def charge(self, steps: int = 1) -> None:
        """Spend ``steps``; refuse once the action's budget or time is used up."""
        self.steps += steps
        if self.steps > self.limits.max_steps:
            raise ExpressionError("this step of the process is too expensive (more than {steps} steps)",
                                  steps=self.limits.max_steps)
        if self.limits.clock() > self.deadline:
            raise ExpressionError("this step of the process took longer than {seconds} s",
                                  seconds=self.limits.time_limit)


class Budget:
    """The steps left and the deadline of one evaluation.

    ``outer`` is the budget of the whole engine action the evaluation belongs to: every
    step is charged there too, so many cheap evaluations cannot add up to a dead worker.
    """

    __slots__ = ("clock", "deadline", "limits", "outer", "steps")

    def __init__(self, limits: Limits, outer: ActionBudget | None = None) -> None:
        self.limits = limits
        self.clock = limits.clock
        self.outer = outer
        self.steps = 0
        self.deadline = limits.clock() + limits.time_limit

    def charge(self, steps: int = 1) -> None:
        """Spend ``steps``; refuse once the budget or the time is used up."""
        self.steps += steps
        if self.steps > self.limits.max_steps:
            raise ExpressionError("the expression is too expensive to evaluate (more than {steps} steps)",
                                  steps=self.limits.max_steps)
        if self.clock() > self.deadline:
            raise ExpressionError("the expression took longer than {seconds} s to evaluate",
                                  seconds=self.limits.time_limit)
        if self.outer is not None:
            self.outer.charge(steps)

    def charge_weight(self, *values: Any) -> int:
        """Spend the weight of ``values``; refuse any one heavier than the sequence limit."""
        total = 0
        for value in values:
            found = weight(value)
            if found > MAX_SEQUENCE_LENGTH:
                raise ExpressionError("a value is too large for an expression (more than {limit} elements)",
                                      limit=MAX_SEQUENCE_LENGTH)
            total += found
        self.charge(total)
        return total


def weight(value: Any, limit: int = MAX_SEQUENCE_LENGTH) -> int:
    """Elements reachable in a nested value (shared ones counted each time), capped at ``limit + 1``.

    ``[[1] * 99999] * 99999`` holds few objects but ten billion reachable elements, which
    ``str``, ``sorted`` or ``==`` would then walk; the weight sees that before it exists.
    Big integers weigh by their size, since printing or comparing them costs as much.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) or 1
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) or 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item) or 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, int):
            total += 1 + item.bit_length() // 64
        else:
            total += 1
        if total > limit:
            return limit + 1
    return total


def check_number(value: Any) -> Any:
    """Refuse numbers an expression must not produce: huge integers, infinities, complex results."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise ExpressionError("the number is too large (more than {bits} bits)", bits=MAX_INT_BITS)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError("the result is not a finite number")
    elif isinstance(value, complex):
        raise ExpressionError("the result is not a real number")
    return value


def is_int(value: Any) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)
