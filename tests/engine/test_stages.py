"""The stages of a fan-out over units, read from the BPMN at deploy (engine.stages), without a database."""
from __future__ import annotations

from pathlib import Path

from engine.bpmn_xml import parse_bpmn
from engine.definitions import bundle_from_path
from engine.expressions import Evaluator
from engine.stages import fan_outs
from tests.organisation import demo_roles, validate_demo

ROOT = Path(__file__).resolve().parents[2]
WHISTLE = ROOT / "processes" / "whistle" / "whistle.bpmn"
PATROL = ROOT / "tests" / "fixtures" / "bpmn" / "boards" / "joint_patrol.bpmn"


def _fan_outs(data: bytes, top: str = "whistle") -> list[dict]:
    tree, problems = parse_bpmn(data, "test.bpmn")
    assert tree is not None, problems
    return fan_outs(tree.getroot(), top, demo_roles())


def test_the_whistle_s_catalog_holds_its_five_marked_stages_with_their_lanes_and_scopes() -> None:
    catalog = validate_demo(bundle_from_path(WHISTLE), Evaluator()).catalog
    [fan_out] = catalog["stages"]
    assert (fan_out["activity"], fan_out["process"], fan_out["item"]) == ("Call_departments", "whistle_department",
                                                                          "department")
    assert (fan_out["scope"], fan_out["origin_scope"]) == ("department", "street")
    assert [(s["key"], s["element"], s["name"], s["scope"]) for s in fan_out["stages"]] == [
        ("sign", "Task_sign", "签收", "department"), ("report_in", "Task_report_in", "到场报到", "department"),
        ("handle", "Task_handle", "处置反馈", "department"), ("verify", "Task_verify", "核验", "street"),
        ("rate", "Task_rate", "评价", "street")]
    assert fan_out["stages"][3]["lane"] == "街道指挥中心值班员" and fan_out["stages"][4]["role"] == "street_leader"
    # Every human task of the branch, stage or not (改派 is the street's, but no stage).
    assert {t["element"]: t["scope"] for t in fan_out["tasks"]}["Task_reassign"] == "street"


def test_unmarked_stages_are_every_task_of_the_branch_in_flow_order_skipping_loop_backs() -> None:
    # Written close → patrol → accept in the file, with a loop back from close to patrol.
    [fan_out] = _fan_outs(PATROL.read_bytes())
    assert [(s["key"], s["name"]) for s in fan_out["stages"]] == [
        ("Task_accept", "接单"), ("Task_patrol", "联合巡查"), ("Task_close", "街道销号")]
    # The whistle without its marks: 改派 joins, after 签收 (the file's order breaks the tie with 到场报到),
    # and neither loop back (改派 → 签收, 退回重办 → 处置反馈) reorders anything.
    unmarked = WHISTLE.read_bytes().replace(b'name="stage"', b'name="not_a_stage"')
    [fan_out] = _fan_outs(unmarked)
    assert [s["key"] for s in fan_out["stages"]] == [
        "Task_sign", "Task_reassign", "Task_report_in", "Task_handle", "Task_verify", "Task_rate"]


def test_only_a_multi_instance_over_a_unit_variable_fans_out() -> None:
    data = WHISTLE.read_bytes()
    assert _fan_outs(data.replace(b'<bpmn:inputDataItem id="department" name="department" />',
                                  b'<bpmn:inputDataItem id="item" name="item" />')) == []
    assert _fan_outs(data, top="no_such_process") == []


def test_a_multi_instance_subprocess_fans_out_over_its_own_tasks() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="top" isExecutable="true">
    <bpmn:laneSet id="LS"><bpmn:lane id="L1" name="street_officer"><bpmn:flowNodeRef>S</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L2" name="dept_staff"><bpmn:flowNodeRef>T1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>T2</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="S" />
    <bpmn:subProcess id="Sub">
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>units</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="department" /></bpmn:multiInstanceLoopCharacteristics>
      <bpmn:startEvent id="SS" />
      <bpmn:sequenceFlow id="F1" sourceRef="SS" targetRef="T2" />
      <bpmn:userTask id="T1" name="second" />
      <bpmn:userTask id="T2" name="first" />
      <bpmn:sequenceFlow id="F2" sourceRef="T2" targetRef="T1" />
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>"""
    [fan_out] = _fan_outs(data, top="top")
    assert (fan_out["activity"], fan_out["process"], fan_out["origin_scope"]) == ("Sub", "top", "street")
    assert [(s["key"], s["name"], s["role"]) for s in fan_out["stages"]] == [
        ("T2", "first", "dept_staff"), ("T1", "second", "dept_staff")]
