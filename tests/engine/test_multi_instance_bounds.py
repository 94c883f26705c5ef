"""Designer-controlled counts and costs at run time: a step that would blow up fails on its element, case untouched.

Multi-instance counts are bounded at deploy (a literal or data-free cardinality, a
loopMaximum) and when the activity starts (an evaluated cardinality, an input collection).
A gateway condition whose evaluation is refused fails the completion that reaches it,
names the gateway, and leaves the stored case exactly as it was.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.errors import DefinitionInvalid, Problem, ProcessFailed
from engine.expressions import Evaluator
from engine.models import HumanTask, ProcessInstance
from engine.spiff.loops import BoundedParallelMultiInstanceTask
from engine.spiff.storage import SpecCache
from engine.validation import Bundle
from escalation.calendars import Calendars
from tests.organisation import validate_demo
from tests.support import PROCESSES, Flow
from web.services import engine_context
from web.settings import Settings

STREET = "街道指挥中心值班员"
# Start and Task_prepare forms: what the tests feed the cardinality, the collection and the loop.
FIELDS = {"size": {"type": "integer"}, "items": {"type": "array", "maxItems": 1000}, "again": {"type": "boolean"}}
FORMS = {
    "bounded_start": {"type": "object", "additionalProperties": False,
                      "properties": {"street": {"type": "string", "format": "department"}, **FIELDS}},
    "bounded_prepare": {"type": "object", "additionalProperties": False, "properties": FIELDS},
}


def model(middle: str) -> str:
    """A process: start -> Task_prepare -> ``middle`` (from Flow_2 to Flow_3) -> Task_after -> end, one lane."""
    nodes = re.findall(r'<bpmn:(?:userTask|exclusiveGateway) id="(\w+)"', middle)
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in ["Start_case", "Task_prepare", *nodes,
                                                                         "Task_after", "End_case"])
    extra_incoming = "<bpmn:incoming>Flow_yes</bpmn:incoming>" if 'id="Flow_yes"' in middle else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_1" targetNamespace="http://whistle.example/tests">
  <bpmn:process id="bounded" name="有界流程" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_street" name="{STREET}">
        {refs}
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_case" name="开始" camunda:formKey="bounded_start">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_case" targetRef="Task_prepare" />
    <bpmn:userTask id="Task_prepare" name="准备" camunda:formKey="bounded_prepare">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_prepare" targetRef="{nodes[0]}" />
{middle}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_next" targetRef="Task_after" />
    <bpmn:userTask id="Task_after" name="后续">
      <bpmn:incoming>Flow_3</bpmn:incoming>{extra_incoming}<bpmn:outgoing>Flow_4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_after" targetRef="End_case" />
    <bpmn:endEvent id="End_case" name="结束"><bpmn:incoming>Flow_4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def gateway(condition: str) -> str:
    """An exclusive gateway whose only conditional flow carries ``condition``; the default leads on too."""
    return f"""
    <bpmn:exclusiveGateway id="Gateway_check" name="判断" default="Flow_default">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_yes</bpmn:outgoing>
      <bpmn:outgoing>Flow_default</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_check" targetRef="Task_after">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_default" sourceRef="Gateway_check" targetRef="Task_next" />
    <bpmn:userTask id="Task_next" name="下一步">
      <bpmn:incoming>Flow_default</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:userTask>"""


def multi_instance(characteristics: str, *, sequential: bool = False) -> str:
    """A multi-instance user task Task_next with the given loop characteristics body."""
    flag = ' isSequential="true"' if sequential else ""
    return f"""
    <bpmn:userTask id="Task_next" name="分头处理">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics{flag}>{characteristics}</bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>"""


def cardinality(expression: str, *, sequential: bool = False) -> str:
    """A multi-instance task started ``expression`` times."""
    return multi_instance(f'<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">{expression}'
                          "</bpmn:loopCardinality>", sequential=sequential)


def collection(variable: str, *, sequential: bool = False) -> str:
    """A multi-instance task started once per element of the case variable ``variable``."""
    return multi_instance(f"<bpmn:loopDataInputRef>{variable}</bpmn:loopDataInputRef>"
                          '<bpmn:inputDataItem id="item" />', sequential=sequential)


def standard_loop(attributes: str, condition: str | None = None) -> str:
    """A standard loop around Task_next."""
    body = (f'<bpmn:loopCondition xsi:type="bpmn:tFormalExpression">{condition}</bpmn:loopCondition>'
            if condition else "")
    return f"""
    <bpmn:userTask id="Task_next" name="反复处理">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
      <bpmn:standardLoopCharacteristics {attributes}>{body}</bpmn:standardLoopCharacteristics>
    </bpmn:userTask>"""


def write(tmp_path: Path, text: str) -> Path:
    """The model and its forms as files to deploy."""
    (tmp_path / "forms").mkdir(exist_ok=True)
    for key, schema in FORMS.items():
        (tmp_path / "forms" / f"{key}.json").write_text(json.dumps(schema), encoding="utf-8")
    path = tmp_path / "bounded.bpmn"
    path.write_text(text, encoding="utf-8")
    return path


def problems(text: str, evaluator: Evaluator | None = None) -> list[Problem]:
    """What the deploy check reports for a model (failing when it passes)."""
    with pytest.raises(DefinitionInvalid) as caught:
        validate_demo(bundle(text), evaluator or Evaluator())
    return caught.value.problems


def bundle(text: str) -> Bundle:
    """The model with its two forms, as the deploy check gets it."""
    return Bundle("bounded.bpmn", text.encode(), forms={k: json.dumps(v).encode() for k, v in FORMS.items()})


def line_of(text: str, anchor: str) -> int:
    """The line where ``anchor`` first occurs."""
    return text[: text.index(anchor)].count("\n") + 1


# -- deploy ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["100000", "10**5", "101", "len('x' * 1000)", "max(5, 200)"])
def test_a_data_free_cardinality_above_the_bound_is_refused_on_its_activity(expression: str) -> None:
    text = model(cardinality(expression))
    (problem,) = problems(text)
    assert (problem.file, problem.line, problem.element) == ("bounded.bpmn", line_of(text, 'id="Task_next"'),
                                                             "Task_next")
    assert "above the limit of 100 (WHISTLE_MAX_MULTI_INSTANCE)" in problem.message
    assert str(problem).startswith(f"bounded.bpmn:{problem.line}: Task_next: loopCardinality")


def test_the_bound_is_configurable_and_not_off_by_one() -> None:
    assert validate_demo(bundle(model(cardinality("100"))), Evaluator()).key == "bounded"
    assert validate_demo(bundle(model(cardinality("7"))), Evaluator(max_instances=7))
    (problem,) = problems(model(cardinality("8")), Evaluator(max_instances=7))
    assert "starts 8 instances, above the limit of 7" in problem.message


@pytest.mark.parametrize("expression,fragment", [
    ("round(1, -10**8)", "round() takes at most 400 digits"),
    ("'many'", "is not a whole number"),
    ("-1", "is not a whole number"),
])
def test_a_data_free_cardinality_that_fails_is_refused(expression: str, fragment: str) -> None:
    (problem,) = problems(model(cardinality(expression)))
    assert problem.element == "Task_next" and fragment in problem.message


def test_a_cardinality_that_reads_case_data_is_left_to_run_time() -> None:
    checked = validate_demo(bundle(model(cardinality("len(departments) * 1000"))), Evaluator())
    assert checked.key == "bounded"


@pytest.mark.parametrize("maximum", ["100000", "101", "9" * 40])
def test_a_loop_maximum_above_the_bound_is_refused(maximum: str) -> None:
    text = model(standard_loop(f'loopMaximum="{maximum}"', "True"))
    (problem,) = problems(text)
    assert (problem.element, problem.line) == ("Task_next", line_of(text, 'id="Task_next"'))
    assert f"loopMaximum {maximum[:30]} is above the limit of 100" in problem.message
    assert validate_demo(bundle(model(standard_loop('loopMaximum="100"', "True"))), Evaluator())


# -- run time -------------------------------------------------------------------------------------------------------


def snapshot(flow: Flow, case: int) -> tuple[Any, ...]:
    """What a failed step must not change: the instance row and every task row of the case."""
    with flow.db.transaction(write=False) as session:
        instance = session.execute(select(ProcessInstance).where(ProcessInstance.id == case)).scalar_one()
        tasks = session.execute(
            select(HumanTask.id, HumanTask.element_id, HumanTask.status, HumanTask.assignee_id)
            .where(HumanTask.instance_id == case).order_by(HumanTask.id)
        ).all()
        return (instance.revision, instance.status, instance.state, instance.updated_at, tuple(tasks))


def started(flow: Flow, tmp_path: Path, middle: str, data: dict[str, Any] | None = None) -> tuple[int, int]:
    """Deploy the model, start a case as HP.officer; returns (case, the open Task_prepare id)."""
    flow.deploy(write(tmp_path, model(middle)))
    case = flow.start("bounded", data or {}, as_="HP.officer")
    (task,) = flow.open_tasks(case, "Task_prepare")
    return case, task.id


def fails_cleanly(flow: Flow, case: int, task_id: int, data: dict[str, Any]) -> ProcessFailed:
    """Complete Task_prepare through the engine; it must fail fast and leave the case as it was."""
    before = snapshot(flow, case)
    flow.clock.advance(minutes=5)
    began = time.monotonic()
    with pytest.raises(ProcessFailed) as caught:
        flow.complete(task_id, data, as_="HP.officer")
    assert time.monotonic() - began < 5  # on the unbounded code this held the worker for a minute
    assert snapshot(flow, case) == before
    return caught.value


def test_a_gateway_condition_refused_at_run_time_fails_on_the_gateway_and_changes_nothing(
        flow: Flow, tmp_path: Path) -> None:
    case, task_id = started(flow, tmp_path, gateway("round(1, -10**8) == 0"))
    error = fails_cleanly(flow, case, task_id, {})
    assert error.params["element"] == "Gateway_check"
    assert "round(1, -10**8) == 0" in error.message and "round() takes at most 400 digits" in error.message
    # The same case goes on once the data lets the condition through: nothing was left half done.
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_prepare"]


def test_a_cardinality_evaluated_above_the_bound_fails_on_the_activity(flow: Flow, tmp_path: Path) -> None:
    case, task_id = started(flow, tmp_path, cardinality("size * 2"), {"size": 3})
    error = fails_cleanly(flow, case, task_id, {"size": 100_000})
    assert error.params["element"] == "Task_next"
    assert "the multi-instance count 200000 is above the limit of 100" in error.message


@pytest.mark.parametrize("sequential", [False, True])
def test_an_input_collection_longer_than_the_bound_fails_on_the_activity(flow: Flow, tmp_path: Path,
                                                                        sequential: bool) -> None:
    case, task_id = started(flow, tmp_path, collection("items", sequential=sequential), {"items": [1, 2]})
    error = fails_cleanly(flow, case, task_id, {"items": list(range(101))})
    assert error.params["element"] == "Task_next"
    assert "the multi-instance count 101 is above the limit of 100" in error.message


def test_a_collection_at_the_bound_starts_every_instance(flow: Flow, tmp_path: Path) -> None:
    case, task_id = started(flow, tmp_path, collection("items"), {"items": []})
    flow.complete(task_id, {"items": list(range(100))}, as_="HP.officer")
    assert len(flow.open_tasks(case, "Task_next")) == 100


def test_a_loop_that_keeps_repeating_stops_at_the_bound(flow: Flow, tmp_path: Path) -> None:
    flow.ctx.evaluator = flow.ctx.evaluator.with_limits(max_instances=2)
    case, task_id = started(flow, tmp_path, standard_loop("", "again"), {"again": True})
    flow.complete(task_id, {}, as_="HP.officer")
    (first,) = flow.open_tasks(case, "Task_next")
    flow.complete(first.id, {}, as_="HP.officer")
    (second,) = flow.open_tasks(case, "Task_next")  # the loop repeated once, within the bound of 2
    error = fails_cleanly(flow, case, second.id, {})
    assert error.params["element"] == "Task_next"
    assert "the loop ran 2 times and its condition still holds" in error.message


def test_specs_stored_before_the_bound_are_restored_bounded() -> None:
    """Stored specs name the library's classes; loading them gives the bounded ones."""
    checked = validate_demo(bundle(model(collection("items"))), Evaluator())
    stored = json.loads(checked.spec_json)
    assert stored["spec"]["task_specs"]["Task_next"]["typename"] == "ParallelMultiInstanceTask"
    specs = SpecCache().get(1, lambda: checked.spec_json)
    assert isinstance(specs.top.task_specs["Task_next"], BoundedParallelMultiInstanceTask)


def test_the_bounds_come_from_the_environment(calendars: Calendars) -> None:
    settings = Settings.from_env({"WHISTLE_MAX_MULTI_INSTANCE": "7", "WHISTLE_EXPRESSION_TIME_LIMIT_MS": "250"},
                                 processes_dir=PROCESSES)
    evaluator = engine_context(settings, calendars).evaluator
    assert (evaluator.max_instances, evaluator.time_limit) == (7, 0.25)
    assert "work_hours" in evaluator.functions  # the copy kept the timer helpers
    defaults = engine_context(Settings(processes_dir=PROCESSES), calendars).evaluator
    assert (defaults.max_instances, defaults.time_limit) == (100, 1.0)
    for variable, value in [("WHISTLE_MAX_MULTI_INSTANCE", "0"), ("WHISTLE_MAX_MULTI_INSTANCE", "lots"),
                            ("WHISTLE_EXPRESSION_TIME_LIMIT_MS", "9999999")]:
        with pytest.raises(ValueError, match=variable):
            Settings.from_env({variable: value})


CYCLE = """
    <bpmn:exclusiveGateway id="Gateway_check" name="判断" default="Flow_default">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:incoming>Flow_back</bpmn:incoming>
      <bpmn:outgoing>Flow_yes</bpmn:outgoing><bpmn:outgoing>Flow_default</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_check" targetRef="Event_again">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:intermediateThrowEvent id="Event_again" name="再来">
      <bpmn:incoming>Flow_yes</bpmn:incoming><bpmn:outgoing>Flow_back</bpmn:outgoing>
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="Flow_back" sourceRef="Event_again" targetRef="Gateway_check" />
    <bpmn:sequenceFlow id="Flow_default" sourceRef="Gateway_check" targetRef="Task_next" />
    <bpmn:userTask id="Task_next" name="下一步">
      <bpmn:incoming>Flow_default</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:userTask>"""


def test_a_cycle_without_a_task_fails_on_its_element_instead_of_stalling_the_case(flow: Flow, tmp_path: Path) -> None:
    """Before, the library ran the cycle ~500 times, grew the state to 366 KB and left the case with no task."""
    case, task_id = started(flow, tmp_path, CYCLE.format(condition="again"), {"again": True})
    error = fails_cleanly(flow, case, task_id, {})
    assert error.params["element"] in ("Gateway_check", "Event_again")
    assert "ran 210 times in one step without waiting for anyone" in error.message
    # A cycle that ends within the bound is an ordinary loop.
    case, task_id = started(flow, tmp_path, CYCLE.format(condition="again"), {"again": False})
    flow.complete(task_id, {}, as_="HP.officer")
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_next"]


def test_many_evaluations_in_one_step_share_one_budget(flow: Flow, tmp_path: Path) -> None:
    """Each condition fits its own budget, but the action as a whole may spend ten conditions' worth."""
    flow.ctx.evaluator = flow.ctx.evaluator.with_limits(max_steps=1000)
    case, task_id = started(flow, tmp_path, CYCLE.format(condition="len(str(items)) > 0"),
                            {"items": list(range(100))})
    error = fails_cleanly(flow, case, task_id, {})
    assert error.params["element"] == "Gateway_check"
    assert "this step of the process is too expensive (more than 10000 steps)" in error.message
