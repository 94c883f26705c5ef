"""Structural validation: every step reachable, every path able to end, errors refuse and warnings only warn."""
from __future__ import annotations

import random
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid, Problem, Severity
from engine.expressions import Evaluator
from engine.structure import check_structure
from engine.validation import Bundle
from escalation.policies import read_policy
from tests.engine.diagram_surgery import delete, edit
from tests.organisation import validate_demo
from tests.support import FIXTURES, PROCESSES, WHISTLE_PACK

FAULTS = FIXTURES / "bpmn" / "faults"
FOREIGN = FIXTURES / "bpmn" / "foreign"
ERROR, WARNING = Severity.ERROR, Severity.WARNING
CLOCKS = frozenset({"sign", "arrive", "complete"})


@dataclass(frozen=True)
class Expect:
    """One problem a fault fixture must produce, on the line of the element's id."""

    element: str
    severity: Severity
    fragment: str


FAULT_EXPECTATIONS: dict[str, list[Expect]] = {
    "unreachable_task": [Expect("Task_orphan", ERROR, "no path from a start event reaches this step")],
    "dead_end_task": [Expect("Task_handle", ERROR, "dead end: no flow leaves this step")],
    "dead_end_gateway": [Expect("Gateway_check", ERROR, "dead end")],
    "loop_without_exit": [
        Expect("Gateway_verified", ERROR, "no way out: from here every path goes round Task_handle → Task_verify → "
                                          "Gateway_verified"),
        Expect("End_case", ERROR, "no path from a start event reaches this step"),
    ],
    "loop_of_tasks": [Expect("Task_handle", ERROR, "no way out: from here every path goes round Task_handle → "
                                                   "Task_check")],
    "start_with_incoming": [Expect("Start_case", ERROR, "a start event cannot have incoming flows: let Flow_back")],
    "end_with_outgoing": [Expect("End_case", ERROR, "an end event cannot have outgoing flows (Flow_after_end)")],
    "boundary_on_gateway": [Expect("Timer_late", ERROR, "attached to Gateway_check, which is not a task")],
    "boundary_with_incoming": [Expect("Timer_late", ERROR, "a boundary event cannot have incoming flows "
                                                           "(Flow_into_boundary)")],
    "boundary_dead_end": [Expect("Timer_late", ERROR, "dead end")],
    "flow_across_subprocess": [Expect("Flow_out", ERROR, "targetRef End_case is not a step of this process level")],
    "subprocess_without_start": [Expect("Sub_check", ERROR, "no start event")],
    "subprocess_dead_end": [Expect("Task_inner", ERROR, "dead end")],
    "exclusive_flow_without_condition": [Expect("Flow_maybe", ERROR, "leaves gateway Gateway_check without a "
                                                                     "condition and is not its default flow")],
    "inclusive_flow_without_condition": [Expect("Flow_always", ERROR, "leaves gateway Gateway_split without a "
                                                                      "condition")],
    "single_conditional_flow": [Expect("Gateway_check", ERROR, "the only flow out of this gateway (Flow_yes) has a "
                                                               "condition")],
    "default_not_outgoing": [Expect("Gateway_check", ERROR, "default flow Flow_end does not leave this gateway")],
    "event_gateway_to_task": [Expect("Flow_to_task", ERROR, "leads to Task_next, which waits for no event")],
    "event_subprocess_with_flow": [Expect("Sub_notice", ERROR, "an event subprocess is started by its own start "
                                                               "event, never by a flow: delete Flow_to_sub, "
                                                               "Flow_done")],
    "flow_to_lane": [
        Expect("Flow_end", ERROR, "targetRef Lane_staff is not a step of this process level"),
        Expect("End_case", ERROR, "no path from a start event reaches this step"),
    ],
    "process_without_start": [Expect("fault_process_without_start", ERROR, "no start event")],
    "mi_without_list": [Expect("Task_handle", ERROR, "multi-instance step without a count or a list")],
    "mi_camunda_collection": [Expect("Task_handle", ERROR, "camunda:collection is not read by this engine")],
    "mi_list_is_a_task": [Expect("Task_handle", ERROR, "loopDataInputRef Task_other names an element that holds "
                                                       "no data")],
    "mi_item_without_list": [Expect("Task_handle", ERROR, "inputDataItem needs loopDataInputRef")],
    "clock_not_in_policy": [Expect("Task_handle", ERROR, "clock finish is not a clock of the SLA policy of "
                                                         "fault_clock_not_in_policy (it has arrive, complete, sign)")],
    "no_default_flow": [Expect("Gateway_check", WARNING, "no default flow: when none of the conditions holds")],
    "default_with_condition": [Expect("Flow_no", WARNING, "the condition on this default flow is never evaluated")],
    "parallel_condition": [Expect("Flow_a", WARNING, "a parallel gateway takes every outgoing flow")],
    "parallel_not_joined": [Expect("Gateway_split", WARNING, "the branches of this parallel gateway never meet")],
    "parallel_merged_by_exclusive": [Expect("Gateway_split", WARNING, "meet at Gateway_merge without a parallel "
                                                                      "gateway")],
    "exclusive_into_parallel_join": [Expect("Gateway_join", WARNING, "gateway Gateway_choose may send a case down "
                                                                     "only some of them")],
}


def policy_clocks(key: str) -> Collection[str] | None:
    """The fixtures' policy lookup: every process has the whistle clocks."""
    return CLOCKS


def outcome(bundle: Bundle) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of a bundle; errors are empty exactly when it validates."""
    try:
        checked = validate_demo(bundle, Evaluator())
    except DefinitionInvalid as invalid:
        assert invalid.problems, "refused without an error"
        assert all(not p.is_warning for p in invalid.problems) and all(w.is_warning for w in invalid.warnings)
        return invalid.problems, invalid.warnings
    return [], checked.warnings


def fault(name: str) -> Bundle:
    """A fault fixture with the fixtures' policy lookup."""
    bundle = bundle_from_path(FAULTS / f"{name}.bpmn")
    bundle.policy_clocks = policy_clocks
    return bundle


def line_of(path: Path, element: str) -> int:
    """The line where ``id="element"`` is written."""
    text = path.read_text(encoding="utf-8")
    return text[: text.index(f'id="{element}"')].count("\n") + 1


def test_the_fault_corpus_is_large_and_every_fixture_has_expectations() -> None:
    """At least 20 hand-made faults, each with its expected problems (a new file without them would test nothing)."""
    found = {p.stem for p in FAULTS.glob("*.bpmn")}
    assert found == set(FAULT_EXPECTATIONS)
    assert len(found) >= 20


@pytest.mark.parametrize("name", sorted(FAULT_EXPECTATIONS))
def test_each_fault_is_refused_or_warned_on_its_element(name: str) -> None:
    """The expected element, line and severity; errors refuse the deploy, a warning alone lets it through."""
    errors, warnings = outcome(fault(name))
    expected = FAULT_EXPECTATIONS[name]
    for expect in expected:
        pool = errors if expect.severity == ERROR else warnings
        matching = [p for p in pool if p.element == expect.element and expect.fragment in p.message]
        assert matching, f"no {expect} among {[str(p) for p in errors + warnings]}"
        assert matching[0].line == line_of(FAULTS / f"{name}.bpmn", expect.element)
        assert matching[0].severity == expect.severity
    assert {p.element for p in errors} == {e.element for e in expected if e.severity == ERROR}, \
        [str(p) for p in errors]
    assert {p.element for p in warnings} == {e.element for e in expected if e.severity == WARNING}, \
        [str(p) for p in warnings]


def test_the_issue_diagram_without_its_end_and_the_flow_to_report_in_is_refused() -> None:
    """部门办结 and 签收→到场报到 deleted, as in the modeler: refused, naming the steps left stranded."""
    original = (WHISTLE_PACK / "whistle.bpmn").read_bytes()
    before_end = _sources_of(original, "End_department")
    bundle = bundle_from_path(WHISTLE_PACK / "whistle.bpmn")
    bundle.bpmn = delete(original, "End_department", "Flow_to_report_in")
    errors, _warnings = outcome(bundle)
    named = {p.element: p.message for p in errors}
    assert "no path from a start event reaches this step" in named["Task_report_in"]
    for element in before_end:
        assert any(p.element == element and "dead end" in p.message for p in errors), [str(p) for p in errors]


def test_the_issue_gateway_left_with_only_its_rework_branch_is_refused() -> None:
    """核验通过？ keeps only 退回重办: every path goes round the loop, and the gateway is named."""
    bundle = bundle_from_path(WHISTLE_PACK / "whistle.bpmn")
    bundle.bpmn = delete(bundle.bpmn, "Flow_to_rate")
    errors, _warnings = outcome(bundle)
    loop = [p for p in errors if p.element == "Gateway_verified"]
    assert loop and "no way out" in loop[0].message and "Task_handle" in loop[0].message
    assert any(p.element == "Task_rate" and "no path from a start event" in p.message for p in errors)


def _sources_of(xml: bytes, target: str) -> list[str]:
    root = etree.fromstring(xml)
    return [f.get("sourceRef") for f in root.iter("{*}sequenceFlow") if f.get("targetRef") == target]


def _pack_clocks() -> dict[str, frozenset[str]]:
    found = {}
    for path in PROCESSES.rglob("policies/*.yaml"):  # every pack's
        policy, problems = read_policy(path.read_text(encoding="utf-8"), str(path))
        assert policy is not None, problems
        found[policy.process] = frozenset(policy.clocks)
    return found


@pytest.mark.parametrize("path", sorted(PROCESSES.rglob("*.bpmn")), ids=lambda p: p.name)
def test_every_shipped_process_passes_without_errors_or_warnings(path: Path) -> None:
    """What processes/ ships deploys cleanly, its clocks checked against its own policies."""
    clocks = _pack_clocks()
    bundle = bundle_from_path(path)
    bundle.policy_clocks = clocks.get
    errors, warnings = outcome(bundle)
    assert errors == [] and warnings == [], [str(p) for p in errors + warnings]


def test_an_accepted_warning_is_silent_and_other_codes_are_not() -> None:
    """``accept = no_default: reason`` silences that warning only."""
    text = (FAULTS / "no_default_flow.bpmn").read_text(encoding="utf-8")
    accept = ('<bpmn:exclusiveGateway id="Gateway_check" name="通过？"><bpmn:extensionElements>'
              '<camunda:properties><camunda:property name="accept" value="{code}: 只有通过和不通过" />'
              '</camunda:properties></bpmn:extensionElements></bpmn:exclusiveGateway>')
    for code, silenced in (("no_default", True), ("unjoined", False)):
        changed = text.replace('<bpmn:exclusiveGateway id="Gateway_check" name="通过？" />', accept.format(code=code))
        assert changed != text
        errors, warnings = outcome(Bundle("accepted.bpmn", changed.encode()))
        assert errors == []
        assert (warnings == []) is silenced, [str(w) for w in warnings]


def test_clocks_are_checked_only_against_a_known_policy() -> None:
    """Without a policy (or without a lookup) a task's clock is not checked: BPMN first, policy next is fine."""
    bundle = fault("clock_not_in_policy")
    bundle.policy_clocks = lambda key: None
    assert outcome(bundle) == ([], [])
    bundle.policy_clocks = None
    assert outcome(bundle) == ([], [])


def test_warnings_ride_along_with_the_errors_of_a_refused_file() -> None:
    """A refused file still lists its warnings, so the designer fixes both in one round."""
    bundle = fault("no_default_flow")
    bundle.bpmn = edit(bundle.bpmn, "Flow_to_gw", targetRef="Start_case")  # now a flow back into the start
    errors, warnings = outcome(bundle)
    assert any(p.element == "Start_case" for p in errors)
    assert [w.element for w in warnings] == ["Gateway_check"]


FOREIGN_EXPECTATIONS: dict[str, list[str]] = {
    "camunda_modeler_5": [],
    "bpmn_io_starter": ['process is not executable: set isExecutable="true"', "dead end", "human task is in no lane"],
    "signavio": ['process is not executable: set isExecutable="true"', "lane Clerk names no known role"],
    "bizagi": ["several top-level processes (Id_proc_desk, Id_proc_field)", "lane Desk names no known role"],
    "camunda_8_zeebe": ["service tasks are not supported", "=amount > 100 refused"],
}


def test_every_foreign_export_has_expectations() -> None:
    """Each export in the fixtures is checked below."""
    assert {p.stem for p in FOREIGN.glob("*.bpmn")} == set(FOREIGN_EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(FOREIGN_EXPECTATIONS))
def test_files_of_other_modellers_get_a_located_answer(name: str) -> None:
    """Camunda, bpmn.io, Signavio, Bizagi exports: deploy, or a located refusal; never a traceback."""
    bundle = bundle_from_path(FOREIGN / f"{name}.bpmn")
    errors, warnings = outcome(bundle)
    for fragment in FOREIGN_EXPECTATIONS[name]:
        assert any(fragment in p.message for p in errors), f"{fragment!r} not in {[str(p) for p in errors]}"
    assert bool(errors) == bool(FOREIGN_EXPECTATIONS[name])
    assert all(p.file == bundle.filename and p.line for p in errors + warnings), [str(p) for p in errors]


def test_random_deletions_from_the_whistle_diagram_never_crash_the_validator() -> None:
    """Delete random elements, as a careless designer might: always a located answer, never an exception."""
    original = (WHISTLE_PACK / "whistle.bpmn").read_bytes()
    ids = [n.get("id") for n in etree.fromstring(original).iter()
           if isinstance(n.tag, str) and n.get("id") and not n.tag.startswith("{http://www.omg.org/spec/BPMN/20100524/DI")
           and not re.search(r"_di$|^Definitions|^Diagram|^Plane", n.get("id"))]
    forms = bundle_from_path(WHISTLE_PACK / "whistle.bpmn").forms
    chance = random.Random(20261202)
    refused = 0
    for _round in range(40):
        doomed = chance.sample(ids, chance.randint(1, 3))
        try:
            changed = delete(original, *doomed)
        except AssertionError:  # an element inside another doomed one: nothing left to delete
            continue
        errors, _warnings = outcome(Bundle("whistle.bpmn", changed, forms=forms))
        refused += bool(errors)
        assert all(p.line for p in errors if p.element), [str(p) for p in errors]
    assert refused >= 20


def test_a_long_chain_of_steps_is_checked_without_recursion() -> None:
    """Walks are iterative: 3,000 steps in a row (and a loop back) neither overflow nor stall."""
    steps = "".join(f'<bpmn:task id="T{i}"/><bpmn:sequenceFlow id="F{i}" sourceRef="T{i}" targetRef="T{i + 1}"/>'
                    for i in range(3000))
    xml = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" '
           'isExecutable="true"><bpmn:startEvent id="S"/><bpmn:sequenceFlow id="F" sourceRef="S" targetRef="T0"/>'
           f'{steps}<bpmn:task id="T3000"/><bpmn:sequenceFlow id="Back" sourceRef="T3000" targetRef="T0"/>'
           '</bpmn:process></bpmn:definitions>')
    problems = check_structure(etree.fromstring(xml), "chain.bpmn", "p")
    assert [(p.element, p.severity) for p in problems] == [("T0", ERROR)]
    assert "no way out" in problems[0].message
