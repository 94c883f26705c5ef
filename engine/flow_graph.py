"""The sequence-flow graph of one BPMN scope (a process or a subprocess), and walks over it.

Pure graph work over lxml elements, nothing reported here: :mod:`engine.structure` turns
what these walks find into problems a designer can act on. Every walk is linear in the
size of the scope, except :func:`meeting_point`, which callers bound.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bpmn_xml import BPMN_NS

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity"} | SUBPROCESSES
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = EVENTS | ACTIVITIES | GATEWAYS


def local_name(node: Any) -> str:
    """The element's name without its namespace ('' for comments and foreign elements)."""
    if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
        return ""
    return etree.QName(node).localname


@dataclass
class Flow:
    """One sequence flow; ``source``/``target`` are None when they name no step of this scope."""

    id: str
    element: Any
    source: str | None
    target: str | None
    source_ref: str
    target_ref: str

    @property
    def conditional(self) -> bool:
        """Whether the flow carries a condition expression."""
        return self.element.find(f"{{{BPMN_NS}}}conditionExpression") is not None


@dataclass
class Scope:
    """The steps and flows directly inside a process or subprocess."""

    element: Any
    nodes: dict[str, Any] = field(default_factory=dict)  # id -> element, document order
    kinds: dict[str, str] = field(default_factory=dict)  # id -> local name
    flows: list[Flow] = field(default_factory=list)
    outgoing: dict[str, list[Flow]] = field(default_factory=dict)
    incoming: dict[str, list[Flow]] = field(default_factory=dict)
    boundaries: dict[str, list[str]] = field(default_factory=dict)  # activity id -> boundary event ids
    flow_ids: set[str] = field(default_factory=set)

    def is_event_subprocess(self, node_id: str) -> bool:
        """An event subprocess: started by its own trigger, never by a flow."""
        return self.kinds[node_id] in SUBPROCESSES and self.nodes[node_id].get("triggeredByEvent") == "true"

    def successors(self, node_id: str) -> Iterator[str]:
        """Where a token can go next: along outgoing flows, and out through attached boundary events."""
        for flow in self.outgoing.get(node_id, ()):
            if flow.target is not None:
                yield flow.target
        yield from self.boundaries.get(node_id, ())

    def predecessors(self, node_id: str) -> Iterator[str]:
        """The reverse of :meth:`successors`."""
        for flow in self.incoming.get(node_id, ()):
            if flow.source is not None:
                yield flow.source
        if self.kinds[node_id] == "boundaryEvent":
            attached = self.nodes[node_id].get("attachedToRef")
            if attached in self.nodes:
                yield attached


def scopes(process: Any) -> Iterator[Scope]:
    """The process's own scope, then every subprocess inside it (any depth)."""
    pending = deque([process])
    while pending:
        element = pending.popleft()
        scope = build_scope(element)
        yield scope
        pending.extend(scope.nodes[i] for i, kind in scope.kinds.items() if kind in SUBPROCESSES)


def build_scope(element: Any) -> Scope:
    """Index the direct children of ``element``: steps, flows, and boundary events by activity."""
    scope = Scope(element)
    flows: list[Any] = []
    for child in element:
        kind = local_name(child)
        ident = child.get("id")
        if kind in FLOW_NODES and ident and ident not in scope.nodes:
            scope.nodes[ident] = child
            scope.kinds[ident] = kind
        elif kind == "sequenceFlow":
            flows.append(child)
    for ident, kind in scope.kinds.items():
        if kind == "boundaryEvent":
            attached = scope.nodes[ident].get("attachedToRef")
            if attached in scope.nodes:
                scope.boundaries.setdefault(attached, []).append(ident)
    for child in flows:
        source_ref, target_ref = child.get("sourceRef") or "", child.get("targetRef") or ""
        flow = Flow(child.get("id") or "", child, source_ref if source_ref in scope.nodes else None,
                    target_ref if target_ref in scope.nodes else None, source_ref, target_ref)
        scope.flows.append(flow)
        scope.flow_ids.add(flow.id)
        if flow.source is not None:
            scope.outgoing.setdefault(flow.source, []).append(flow)
        if flow.target is not None:
            scope.incoming.setdefault(flow.target, []).append(flow)
    return scope


def forward(scope: Scope, starts: Iterable[str], *, stop: str | None = None) -> dict[str, int]:
    """Every step reachable from ``starts`` (not passing through ``stop``), with its distance in steps."""
    seen: dict[str, int] = {}
    queue: deque[str] = deque()
    for start in starts:
        if start not in seen and start != stop:
            seen[start] = 0
            queue.append(start)
    while queue:
        node = queue.popleft()
        for nxt in scope.successors(node):
            if nxt not in seen and nxt != stop:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen


def backward(scope: Scope, ends: Iterable[str]) -> set[str]:
    """Every step from which one of ``ends`` can be reached."""
    seen = set(ends)
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        for previous in scope.predecessors(node):
            if previous not in seen:
                seen.add(previous)
                queue.append(previous)
    return seen


def terminal_components(scope: Scope, among: set[str]) -> list[list[str]]:
    """Strongly connected groups of ``among`` that no flow leaves: where tokens end up stuck.

    Iterative Tarjan, so a long chain of steps cannot exhaust the recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component_of: dict[str, int] = {}
    components: list[list[str]] = []
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in (n for n in scope.nodes if n in among):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter([n for n in scope.successors(root) if n in among]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter([n for n in scope.successors(child) if n in among])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component_of[member] = len(components)
                    members.append(member)
                    if member == node:
                        break
                components.append(members)
    order = {n: i for i, n in enumerate(scope.nodes)}
    terminal = []
    for number, members in enumerate(components):
        leaves = any(component_of.get(n) != number for m in members for n in scope.successors(m) if n in among)
        if not leaves:
            terminal.append(sorted(members, key=order.__getitem__))
    return sorted(terminal, key=lambda members: order[members[0]])


def meeting_point(scope: Scope, split: str, budget: list[int]) -> str | None:
    """The nearest step every branch of ``split`` reaches, or None when the branches never meet.

    ``budget`` holds the steps this walk may still visit (shared by all calls for one file);
    once spent, the answer is None and the caller stops asking.
    """
    branches = [f.target for f in scope.outgoing.get(split, ()) if f.target is not None]
    common: set[str] | None = None
    for target in dict.fromkeys(branches):
        reached = forward(scope, [target], stop=split)
        budget[0] -= len(reached)
        common = set(reached) if common is None else common & reached.keys()
    if not common or budget[0] < 0:
        return None
    distance = forward(scope, [split])
    order = {n: i for i, n in enumerate(scope.nodes)}
    return min(common, key=lambda n: (distance.get(n, len(order)), order[n]))
