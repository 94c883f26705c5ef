"""Structural checks on what steps read: the lists multi-instance steps loop over, the clocks tasks name.

``report`` is :class:`engine.structure._Structure`: ``error(node, template, **params)`` and
``warn(node, code, template, **params)``.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from engine.bpmn_xml import BPMN_NS, CAMUNDA_NS

_DATA = {"dataObject", "dataObjectReference", "dataInput", "dataOutput", "property", "dataStore",
         "dataStoreReference"}


def check_multi_instance(report: Any, process: Any, ids: dict[str, Any]) -> None:
    """Each multi-instance step says how many instances it makes, and the lists it names can hold data."""
    for loop in process.iter(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
        activity = loop.getparent()
        cardinality = loop.find(f"{{{BPMN_NS}}}loopCardinality")
        source = _text(loop.find(f"{{{BPMN_NS}}}loopDataInputRef"))
        target = _text(loop.find(f"{{{BPMN_NS}}}loopDataOutputRef"))
        if cardinality is None and not source:
            if loop.get(f"{{{CAMUNDA_NS}}}collection"):
                report.problem(activity, "camunda:collection is not read by this engine: name the list in "
                                       "loopDataInputRef and each item in inputDataItem")
            else:
                report.problem(activity, "multi-instance step without a count or a list: set loopCardinality "
                                       "(how many) or loopDataInputRef (the case variable holding the list)")
        for ref, what in ((source, "loopDataInputRef"), (target, "loopDataOutputRef")):
            if ref:
                _check_ref(report, activity, ref, what, ids)
        if loop.find(f"{{{BPMN_NS}}}inputDataItem") is not None and not source:
            report.problem(activity, "inputDataItem needs loopDataInputRef: name the case variable holding the list "
                                   "it takes each item from")
        if loop.find(f"{{{BPMN_NS}}}outputDataItem") is not None and not target:
            report.problem(activity, "outputDataItem needs loopDataOutputRef: name the case variable that collects "
                                   "each instance's result")


def _check_ref(report: Any, activity: Any, ref: str, what: str, ids: dict[str, Any]) -> None:
    named = ids.get(ref)
    if named is not None:
        if _local(named) not in _DATA:
            report.problem(activity, "{what} {ref} names an element that holds no data: write the case variable "
                                   "holding the list (e.g. departments)", what=what, ref=ref)
    elif not ref.isidentifier():
        report.problem(activity, "{what} {ref} is not a variable name: write the case variable holding the list "
                               "(e.g. departments)", what=what, ref=ref)


def check_clocks(report: Any, processes: list[Any], key: str, policy_clocks: Callable[[str], Collection[str] | None]
                 ) -> None:
    """Each ``clock`` property names a clock of the SLA policy of ``key``, when ``key`` has a policy.

    Without one there is nothing to check against: the tasks get no deadline until a policy is deployed,
    which is how a new process starts out (BPMN first, policy next).
    """
    clocks: Collection[str] | None = None
    looked_up = False
    for process in processes:
        for prop in process.iter(f"{{{CAMUNDA_NS}}}property"):
            owner = _owner(prop)
            if prop.get("name") != "clock" or owner is None:
                continue
            if not looked_up:
                clocks, looked_up = policy_clocks(key), True
            if clocks is None:
                return
            value = (prop.get("value") or "").strip()
            if value not in clocks:
                report.problem(owner, "clock {clock} is not a clock of the SLA policy of {key} (it has {known}): use "
                                      "one of them, or add it to the policy and deploy the policy first",
                               clock=value or "''", key=key, known=", ".join(sorted(clocks)) or "-")


def _owner(prop: Any) -> Any:
    """The element whose extensionElements hold ``prop`` (camunda:properties in between)."""
    properties = prop.getparent()
    extensions = properties.getparent() if properties is not None else None
    if extensions is None or extensions.tag != f"{{{BPMN_NS}}}extensionElements":
        return None
    return extensions.getparent()


def _text(node: Any) -> str:
    return (node.text or "").strip() if node is not None else ""


def _local(node: Any) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.rsplit("}", 1)[-1] if tag.startswith(f"{{{BPMN_NS}}}") else ""
