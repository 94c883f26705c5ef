"""The stages of a process that fans out over units, read from its BPMN once (at deploy) for progress boards.

A fan-out is a multi-instance call activity or subprocess directly in the top-level process whose
input data item is a unit variable (one its branch's assignment expressions read): each branch is
one unit's work. Its stages are the human tasks of the branch in flow order, or only those carrying a
``stage`` extension property when any does (the property's value is then the stage's key).
docs/designing-processes.md ("Progress boards") states the rule for designers.
"""
from __future__ import annotations

import heapq
import threading
from collections.abc import Mapping
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import unit_expressions
from engine.bpmn_xml import BPMN_NS, NSMAP, parse_bpmn
from engine.models import ProcessDefinition
from engine.roles import Role, RoleBook, role_book

STAGE_PROPERTY = "stage"
_HUMAN = ("userTask", "manualTask", "task")
# Fan-outs by BPMN hash (they follow from the BPMN alone), so a board reads no catalog twice; kept small.
_COMPUTED: dict[str, list[dict[str, Any]]] = {}
_COMPUTED_MAX = 64
_LOCK = threading.Lock()


def fan_outs(root: Any, top_process: str | None, roles: RoleBook) -> list[dict[str, Any]]:
    """Every fan-out of the top-level process with its branch's tasks and stages, for the catalog.

    A task's ``scope`` is its assignment expression (the property's, else its role's); the fan-out's
    ``origin_scope`` is the start event's, so a board can tell the starter's tasks from the unit's.
    """
    processes = {p.get("id"): p for p in root.findall(f"{{{BPMN_NS}}}process")}
    top = processes.get(top_process)
    if top is None:
        return []
    lanes = {k: v for p in processes.values() for k, v in _lanes(p).items()}
    start = next((s for s in top.findall(f"{{{BPMN_NS}}}startEvent")), None)
    origin = _task(start, lanes, roles) if start is not None else None
    found = []
    for activity in top:
        if not isinstance(activity.tag, str) or etree.QName(activity).localname not in ("callActivity", "subProcess"):
            continue
        item = activity.find("bpmn:multiInstanceLoopCharacteristics/bpmn:inputDataItem", NSMAP)
        variable = (item.get("name") or item.get("id")) if item is not None else None
        called = activity.get("calledElement")
        branch = processes.get(called) if etree.QName(activity).localname == "callActivity" else activity
        if branch is None or variable is None:
            continue
        tasks = [_task(node, lanes, roles) for node in branch.iter(*(f"{{{BPMN_NS}}}{t}" for t in _HUMAN))]
        if not any(variable in _variables(t["scope"]) for t in tasks):
            continue
        by_id = {t["element"]: t for t in tasks}
        ordered = [by_id[i] for i in _flow_order(branch) if i in by_id]
        marked = [t for t in ordered if t["key"] is not None]
        stages = marked or [{**t, "key": t["element"]} for t in ordered]
        found.append({
            "activity": activity.get("id"),
            "process": called if branch is not activity else top_process,
            "item": variable,
            "scope": variable,
            "origin_scope": origin["scope"] if origin else None,
            "stages": [{k: v for k, v in s.items()} for s in stages],
            "tasks": [{k: v for k, v in t.items() if k != "key"} for t in tasks],
        })
    return found


def of_definition(session: Session, definition_id: int, sha256: str) -> list[dict[str, Any]]:
    """The fan-outs of a definition version (its BPMN's ``sha256`` given): from its catalog, or from its
    stored BPMN when deployed before the catalog held them; kept per BPMN, so a board reads them once."""
    with _LOCK:
        cached = _COMPUTED.get(sha256)
    if cached is not None:
        return cached
    catalog, bpmn, filename = session.execute(
        select(ProcessDefinition.catalog, ProcessDefinition.bpmn, ProcessDefinition.filename)
        .where(ProcessDefinition.id == definition_id)).one()
    stored = (catalog or {}).get("stages")
    if isinstance(stored, list):
        computed = stored
    else:
        tree, _problems = parse_bpmn(bpmn, filename)
        computed = (fan_outs(tree.getroot(), (catalog or {}).get("key"), role_book(session))
                    if tree is not None else [])
    with _LOCK:
        if len(_COMPUTED) >= _COMPUTED_MAX:
            _COMPUTED.clear()
        _COMPUTED[sha256] = computed
    return computed


def forget() -> None:
    """Drop the kept fan-outs (tests that rewrite a stored catalog; a restored database)."""
    with _LOCK:
        _COMPUTED.clear()


def _lanes(process: Any) -> dict[str, tuple[str, str | None]]:
    """The lane name and lane ``assign`` property of each flow node of a process (innermost lane wins)."""
    found: dict[str, tuple[str, str | None]] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        assign = _property(lane, "assign")
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            found[(ref.text or "").strip()] = (lane.get("name") or "", assign)
    return found


def _property(node: Any, name: str) -> str | None:
    return next((p.get("value", "").strip() for p in
                 node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NSMAP)
                 if p.get("name") == name), None)


def _task(node: Any, lanes: Mapping[str, tuple[str, str | None]], roles: RoleBook) -> dict[str, Any]:
    element = node.get("id", "")
    lane, lane_assign = lanes.get(element, (None, None))
    role: Role | None = roles.for_lane(lane)
    mark = _property(node, STAGE_PROPERTY)
    scope = _property(node, "assign") or lane_assign or (role.assign if role else None)
    return {"element": element, "key": mark or None, "name": node.get("name") or element, "lane": lane,
            "role": role.code if role else None, "scope": scope}


def _variables(expression: str | None) -> set[str]:
    """The case variables an assignment expression reads (none when it does not parse)."""
    if not expression:
        return set()
    try:
        return unit_expressions.parse(expression).references()[0]
    except unit_expressions.ExpressionInvalid:
        return set()


def _flow_order(container: Any) -> list[str]:
    """Flow nodes directly in ``container`` reachable from its start events, in a deterministic topological order.

    Edges that loop back (to a node on the current depth-first path) are dropped first; ties go to the
    node written first in the file. A boundary event follows the activity it is attached to.
    """
    position: dict[str, int] = {}
    for n, node in enumerate(container):
        if isinstance(node.tag, str) and node.get("id"):
            position[node.get("id")] = n
    edges: dict[str, list[str]] = {i: [] for i in position}
    for node in container:
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        source, target = (node.get("sourceRef"), node.get("targetRef")) if local == "sequenceFlow" else \
            (node.get("attachedToRef"), node.get("id")) if local == "boundaryEvent" else (None, None)
        if source in edges and target in position:
            edges[source].append(target)
    starts = [node.get("id") for node in container
              if isinstance(node.tag, str) and etree.QName(node).localname == "startEvent" and node.get("id")]
    forward: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1: on the path, 2: finished
    for start in starts:
        if start in state:
            continue
        stack = [(start, iter(edges[start]))]
        state[start] = 1
        forward[start] = []
        while stack:
            node, pending = stack[-1]
            target = next(pending, None)
            if target is None:
                state[node] = 2
                stack.pop()
            elif state.get(target) == 1:
                continue  # a loop back: not an order
            else:
                forward[node].append(target)
                if target not in state:
                    state[target] = 1
                    forward[target] = []
                    stack.append((target, iter(edges[target])))
    incoming = {i: 0 for i in forward}
    for targets in forward.values():
        for target in targets:
            incoming[target] += 1
    ready = [(position[i], i) for i, count in incoming.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _n, node = heapq.heappop(ready)
        ordered.append(node)
        for target in forward[node]:
            incoming[target] -= 1
            if incoming[target] == 0:
                heapq.heappush(ready, (position[target], target))
    return ordered
