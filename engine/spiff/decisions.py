"""Business rule tasks: a DMN decision table decided on the task's data, stored in the task's spec.

The parser embeds the DMN file a task names (``camunda:decisionRef``) in the task spec at deploy,
so a running case decides with the table its version was deployed with, and nothing else is
stored. The table is read again (and cached) the first time a spec object runs it. A task with
``learn_*`` properties also asks the run's learned models (``engine/learned_models.py``), which
may replace the rules' answer when they have learned enough and are surer.
"""
from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask

from engine import learned_suggestions, learning_plans
from engine.bpmn_xml import CAMUNDA_NS
from engine.decision_tables import DecisionError, decide, read
from engine.learning_plans import LearningPlan


class DecisionTask(ScriptTask):
    """A business rule task; its ``script`` is JSON: the decision id (``ref``), the result variable, the DMN file."""

    def _execute(self, task: Any) -> bool:
        try:
            return self._decide(task)
        except DecisionError as error:  # the run fails on this task, with the decision's own words
            raise WorkflowTaskException(str(error), task=task) from error

    def _decide(self, task: Any) -> bool:
        plan = json.loads(self.script)
        table = getattr(self, "_table", None)
        if table is None:
            evaluator = task.workflow.script_engine.environment.evaluator
            tables, problems = read(plan["dmn"].encode(), plan["ref"], evaluator)
            table = next((t for t in tables if t.id == plan["ref"]), None)
            if table is None:  # the deploy checked it; a changed evaluator could still refuse it
                raise DecisionError("decision {ref} cannot be read: {reason}", ref=plan["ref"],
                                    reason="; ".join(p.message for p in problems) or "not in its file")
            self._table = table
        result = decide(table, task.data, task.workflow.script_engine.environment.evaluator)
        if plan.get("map") == "singleEntry" and isinstance(result, dict):  # the one output column's value
            result = next(iter(result.values()))
        learned = getattr(task.workflow.script_engine.environment, "learned", None)
        if plan.get("learn") and learned is not None:  # 人机协同: what people chose before may outvote the rules
            learning = LearningPlan.from_json(plan["learn"])
            ruled = result.get(learning.output) if isinstance(result, dict) else None
            result = learned_suggestions.merge(result, learning, learned(self.bpmn_id, learning, task.data, ruled))
        task.data[plan["variable"]] = result
        return True


class DecisionTaskParser(TaskParser):
    """Reads ``camunda:decisionRef``, ``resultVariable`` and ``mapDecisionResult``; embeds the decision's DMN file."""

    def create_task(self) -> DecisionTask:
        decision = self.node.get(f"{{{CAMUNDA_NS}}}decisionRef") or ""
        variable = self.node.get(f"{{{CAMUNDA_NS}}}resultVariable") or decision
        files = getattr(self.process_parser.parser, "decision_files", {})
        if decision not in files:
            raise ValidationException(f"decision {decision or '(none)'} is in no DMN file of this bundle",
                                      node=self.node, file_name=self.filename)
        mapping = self.node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "singleResult"
        learning, _problems = learning_plans.read(learning_plans.properties(self.node))  # checked at deploy
        script = json.dumps({"ref": decision, "variable": variable, "map": mapping, "dmn": files[decision],
                             **({"learn": learning.as_json()} if learning else {})}, ensure_ascii=False)
        return self.spec_class(self.spec, self.bpmn_id, script=script, **self.bpmn_attributes)


class DecisionParser(BpmnParser):
    """The library's parser with business rule tasks read as :class:`DecisionTask`."""

    OVERRIDE_PARSER_CLASSES = {full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask)}

    def __init__(self, decision_files: dict[str, str] | None = None) -> None:
        super().__init__()
        self.decision_files = decision_files or {}  # decision id -> the DMN file's text


def embedded(spec_json: str) -> dict[str, str]:
    """Decision id -> DMN file text of every business rule task in a stored version's specs."""
    found: dict[str, str] = {}
    for _element, plan in _plans(spec_json):
        found.setdefault(plan["ref"], plan["dmn"])
    return found


def learning(spec_json: str) -> dict[str, tuple[LearningPlan, str, str]]:
    """Element id -> (learning plan, decision id, DMN text) of every learning business rule task in a version."""
    return {element: (LearningPlan.from_json(plan["learn"]), plan["ref"], plan["dmn"])
            for element, plan in _plans(spec_json) if element and plan.get("learn")}


def _plans(spec_json: str) -> list[tuple[str, dict[str, Any]]]:
    """(element id, plan) of every business rule task in a stored version's specs."""
    found: list[tuple[str, dict[str, Any]]] = []
    pending: list[Any] = [json.loads(spec_json)]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if item.get("typename") == DecisionTask.__name__ and isinstance(item.get("script"), str):
                found.append((str(item.get("bpmn_id") or ""), json.loads(item["script"])))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found
