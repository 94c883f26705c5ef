"""The safe script engine: expressions through the whitelisted evaluator, no Python ``exec``."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.expression_limits import ActionBudget
from engine.expressions import Budget, Evaluator, ExpressionError

# Designers' tools write timer values as bare ISO 8601 literals (`PT2H`, `R3/PT1H`, a date).
ISO_TIMER_LITERAL = re.compile(
    r"^(R\d*/)?("
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?"
    r")(/P[0-9YMWDTHS.]+)?$"
)


class ScriptTaskRefused(Exception):
    """A script task ran although script tasks are disabled."""


class _SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions with :class:`Evaluator`; runs no Python at all."""

    def __init__(self, evaluator: Evaluator, allow_script_tasks: bool) -> None:
        super().__init__({})
        self.evaluator = evaluator
        self.allow_script_tasks = allow_script_tasks
        self.action: ActionBudget | None = None  # set by WorkflowRun for the length of one action
        # Rankings learned from people's decisions, asked by business rule tasks (engine/learned_models.py).
        self.learned: Callable[..., Any] | None = None

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None,
                 budget: Budget | None = None) -> Any:
        text = expression.strip()
        if ISO_TIMER_LITERAL.match(text):
            return text
        variables = {**(external_context or {}), **context}
        return self.evaluator.evaluate(text, variables, budget or Budget(self.evaluator.limits, self.action))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        if not self.allow_script_tasks:
            raise ScriptTaskRefused("script tasks are disabled on this server")
        # One budget for the whole script: many cheap lines must not add up to a dead worker.
        budget = Budget(self.evaluator.limits, self.action)
        for target, expression in script_assignments(script):
            context[target] = self.evaluate(expression, context, external_context, budget)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptTaskRefused("service tasks are not supported")


def script_assignments(script: str) -> list[tuple[str, str]]:
    """Split a script task body into ``name = expression`` lines (the only form allowed)."""
    pairs = []
    for number, raw in enumerate(script.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        target, sep, expression = line.partition("=")
        target = target.strip()
        if not sep or not target.isidentifier() or expression.startswith("="):
            raise ExpressionError("line {line}: only 'name = expression' lines are allowed", line, line=number)
        pairs.append((target, expression.strip()))
    return pairs


class SafeScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine bound to the whitelisted evaluator."""

    def __init__(self, evaluator: Evaluator, allow_script_tasks: bool) -> None:
        super().__init__(environment=_SafeEnvironment(evaluator, allow_script_tasks))
        # Read by the bounded multi-instance and loop specs (engine.spiff.loops).
        self.max_instances = evaluator.max_instances

    def validate(self, expression: str) -> None:
        self.environment.evaluator.check(expression)
