"""Edit a BPMN file as a designer would in the modeler: delete elements with their flows and drawings."""
from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"


def delete(xml: bytes, *ids: str) -> bytes:
    """``xml`` without the elements ``ids``, the sequence flows touching them, and every reference to them."""
    root = etree.fromstring(xml)
    doomed = set(ids)
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        if flow.get("sourceRef") in doomed or flow.get("targetRef") in doomed:
            doomed.add(flow.get("id"))
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or node.getparent() is None:
            continue
        named = node.get("id") in doomed or node.get("bpmnElement") in doomed
        refers = node.tag in (f"{{{BPMN}}}incoming", f"{{{BPMN}}}outgoing", f"{{{BPMN}}}flowNodeRef") and \
            (node.text or "").strip() in doomed
        if named or refers:
            node.getparent().remove(node)
    for gateway in root.iter():
        if isinstance(gateway.tag, str) and gateway.get("default") in doomed:
            del gateway.attrib["default"]
    missing = set(ids) - {n.get("id") for n in root.iter() if isinstance(n.tag, str)} - doomed
    assert not missing, missing
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def edit(xml: bytes, element: str, **attributes: str | None) -> bytes:
    """``xml`` with attributes of ``element`` set (None deletes one)."""
    root = etree.fromstring(xml)
    (node,) = root.xpath("//*[@id=$id]", id=element)
    for name, value in attributes.items():
        if value is None:
            node.attrib.pop(name, None)
        else:
            node.set(name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
