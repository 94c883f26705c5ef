"""退单/改派 and the 追加召集部门 event subprocess in whistle.bpmn: drawn for bpmn.io, wired to forms and policy."""
from __future__ import annotations

import json

import yaml
from lxml import etree

from engine.spiff.parsing import schema_errors
from engine.whistle_rules import ADD_DEPARTMENT_MESSAGE
from tests.organisation import demo_roles
from tests.support import WHISTLE_PACK

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
TREE = etree.parse(str(WHISTLE_PACK / "whistle.bpmn"))
NEW_NODES = ("Gateway_signed", "Task_reassign", "Gateway_reassigned", "End_dropped", "Sub_add_department",
             "Start_add_department", "Call_added_department", "End_added_department")
NEW_FLOWS = ("Flow_to_signed", "Flow_refused", "Flow_to_reassigned", "Flow_resummon", "Flow_dropped",
             "Flow_to_added_department", "Flow_to_added_end")


def _one(xpath: str, **params: str) -> etree._Element:
    found = TREE.xpath(xpath, namespaces=NS, **params)
    assert len(found) == 1, (xpath, params, found)
    return found[0]


def _bounds(element_id: str) -> tuple[float, float, float, float]:
    shape = _one("//bpmndi:BPMNShape[@bpmnElement=$i]/dc:Bounds", i=element_id)
    return tuple(float(shape.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _form(key: str) -> dict:
    return json.loads((WHISTLE_PACK / "forms" / f"{key}.json").read_text(encoding="utf-8"))


def test_the_file_is_valid_bpmn_and_every_new_element_is_drawn() -> None:
    assert schema_errors(TREE) == []
    for node in NEW_NODES:
        assert _bounds(node)[2] > 0, node
    for flow in NEW_FLOWS:
        assert len(TREE.xpath("//bpmndi:BPMNEdge[@bpmnElement=$i]/*[local-name()='waypoint']", namespaces=NS,
                              i=flow)) >= 2, flow


def test_adding_a_department_is_a_non_interrupting_message_event_subprocess_drawn_expanded() -> None:
    sub = _one("//bpmn:process[@id='whistle']/bpmn:subProcess[@id='Sub_add_department']")
    assert sub.get("triggeredByEvent") == "true"
    start = _one("//bpmn:startEvent[@id='Start_add_department']")
    assert start.get("isInterrupting") == "false"
    ref = _one("//bpmn:startEvent[@id='Start_add_department']/bpmn:messageEventDefinition").get("messageRef")
    assert _one("//bpmn:message[@id=$i]", i=ref).get("name") == ADD_DEPARTMENT_MESSAGE
    assert _one("//bpmn:callActivity[@id='Call_added_department']").get("calledElement") == "whistle_department"
    assert _one("//bpmndi:BPMNShape[@bpmnElement='Sub_add_department']").get("isExpanded") == "true"
    x, y, w, h = _bounds("Sub_add_department")
    for inner in ("Start_add_department", "Call_added_department", "End_added_department"):
        ix, iy, iw, ih = _bounds(inner)
        assert x <= ix and ix + iw <= x + w and y <= iy and iy + ih <= y + h, inner


def test_refusal_routes_on_the_sign_forms_decision_and_signing_is_the_default() -> None:
    gateway = _one("//bpmn:exclusiveGateway[@id='Gateway_signed']")
    assert _one("//bpmn:sequenceFlow[@id=$i]", i=gateway.get("default")).get("targetRef") == "Task_report_in"
    condition = _one("//bpmn:sequenceFlow[@id='Flow_refused']/bpmn:conditionExpression").text
    sign = _form("whistle_sign")
    assert condition == 'decision == "refuse"' and "refuse" in sign["properties"]["decision"]["enum"]
    assert sign["properties"]["decision"]["default"] == "sign"  # a client that sends no decision signs
    assert sign["then"]["required"] == ["refuse_reason"]  # a refusal says why


def test_the_street_reassigns_on_a_sign_clock_and_its_form_writes_the_department() -> None:
    lane = _one("//bpmn:lane[bpmn:flowNodeRef='Task_reassign']")
    assert demo_roles().for_lane(lane.get("name")).code == "street_officer"
    task = _one("//bpmn:userTask[@id='Task_reassign']")
    clock = _one("//bpmn:userTask[@id='Task_reassign']//camunda:property[@name='clock']").get("value")
    policy = yaml.safe_load((WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8"))
    assert clock in policy["clocks"]
    form = _form(task.get("{http://camunda.org/schema/1.0/bpmn}formKey"))
    assert form["properties"]["department"]["format"] == "department"  # the variable the department lanes read
    assert _one("//bpmn:sequenceFlow[@id='Flow_resummon']").get("targetRef") == "Task_sign"
    assert _one("//bpmn:exclusiveGateway[@id='Gateway_reassigned']").get("default") == "Flow_dropped"
