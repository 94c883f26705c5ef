"""processes/whistle/whistle.bpmn: complete diagram interchange, forms that match the district."""
from __future__ import annotations

import json

import yaml
from lxml import etree

from tests.organisation import demo_roles
from tests.support import DEMO_CITY, WHISTLE_PACK

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
TREE = etree.parse(str(WHISTLE_PACK / "whistle.bpmn"))
DISTRICT = yaml.safe_load((DEMO_CITY / "district.yaml").read_text(encoding="utf-8"))


def _form(key: str) -> dict:
    return json.loads((WHISTLE_PACK / "forms" / f"{key}.json").read_text(encoding="utf-8"))


def _bounds(element_id: str) -> tuple[float, float, float, float]:
    shape = TREE.xpath("//bpmndi:BPMNShape[@bpmnElement=$i]/dc:Bounds", namespaces=NS, i=element_id)[0]
    return tuple(float(shape.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def test_every_shape_and_flow_has_diagram_interchange() -> None:
    shaped = set(TREE.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=NS))
    edged = set(TREE.xpath("//bpmndi:BPMNEdge/@bpmnElement", namespaces=NS))
    # Nodes of the processes and of their subprocesses (the event subprocess 追加召集部门 holds three).
    nodes = {n.get("id") for n in TREE.xpath(
        "//bpmn:*[self::bpmn:process or self::bpmn:subProcess]/*[not(self::bpmn:sequenceFlow) and "
        "not(self::bpmn:laneSet) and not(self::bpmn:incoming) and not(self::bpmn:outgoing)]", namespaces=NS)}
    nodes |= set(TREE.xpath("//bpmn:lane/@id | //bpmn:participant/@id", namespaces=NS))
    flows = set(TREE.xpath("//bpmn:sequenceFlow/@id", namespaces=NS))
    assert nodes - shaped == set()
    assert flows - edged == set()
    assert (shaped | edged) - (nodes | flows) == set()


def test_every_node_is_drawn_inside_its_lane() -> None:
    for lane in TREE.xpath("//bpmn:lane", namespaces=NS):
        lx, ly, lw, lh = _bounds(lane.get("id"))
        for ref in lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS):
            x, y, w, h = _bounds(ref)
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (lane.get("name"), ref)


def test_edges_start_and_end_on_their_shapes() -> None:
    for flow in TREE.xpath("//bpmn:sequenceFlow", namespaces=NS):
        points = TREE.xpath("//bpmndi:BPMNEdge[@bpmnElement=$i]/di:waypoint", namespaces=NS, i=flow.get("id"))
        for point, ref in ((points[0], flow.get("sourceRef")), (points[-1], flow.get("targetRef"))):
            x, y, w, h = _bounds(ref)
            px, py = float(point.get("x")), float(point.get("y"))
            assert x <= px <= x + w and y <= py <= y + h, (flow.get("id"), ref)


def test_every_lane_names_a_role() -> None:
    for lane in TREE.xpath("//bpmn:lane", namespaces=NS):
        assert demo_roles().for_lane(lane.get("name")) is not None, lane.get("name")


def test_start_form_offers_exactly_the_districts_types_and_categories() -> None:
    form = _form("whistle_start")["properties"]
    assert form["whistle_type"]["enum"] == [t["code"] for t in DISTRICT["whistle_types"]]
    assert form["whistle_type"]["x-enumNames"] == [t["name"] for t in DISTRICT["whistle_types"]]
    assert form["category"]["enum"] == [c["code"] for c in DISTRICT["categories"]]
    assert form["category"]["x-enumNames"] == [c["name"] for c in DISTRICT["categories"]]


def test_rating_form_uses_the_three_indicators_on_one_to_five() -> None:
    form = _form("whistle_rate")
    assert set(form["required"]) == {"speed", "cooperation", "fulfilment"}
    for key in form["required"]:
        assert (form["properties"][key]["minimum"], form["properties"][key]["maximum"]) == (1, 5)


def test_every_form_key_in_the_file_has_a_form() -> None:
    keys = set(TREE.xpath("//@*[local-name()='formKey']"))
    assert keys == {p.stem for p in (WHISTLE_PACK / "forms").glob("whistle_*.json")}
