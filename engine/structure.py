"""Structural checks of a BPMN file: can every case start, move on and finish?

Errors refuse the deploy (a step no case reaches, a dead end, a loop with no way out, a
flow across a border, a boundary event on a gateway, a gateway that can strand a case).
Warnings are shown and the deploy goes ahead (no default flow, unbalanced splits and
joins, conditions that are never read). A designer who means it silences a warning on its
element with the extension property ``accept`` whose value starts with the warning's code
(``no_default: 核验只有通过和退回两种结果``); docs/designing-processes.md lists the codes.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from engine.bpmn_xml import BPMN_NS, CAMUNDA_NS
from engine.errors import Problem, Severity
from engine.flow_graph import (
    ACTIVITIES,
    GATEWAYS,
    Scope,
    backward,
    forward,
    local_name,
    meeting_point,
    scopes,
    terminal_components,
)
from engine.structure_data import check_clocks, check_multi_instance

# Clock names of the SLA policy of a process key; None when the process has no policy.
PolicyClocks = Callable[[str], Collection[str] | None]
# How many steps the split/join walks of one file may visit before they give up (quadratic in the worst case).
BALANCE_BUDGET = 50_000
_SPLITS = {"parallelGateway", "inclusiveGateway", "exclusiveGateway", "eventBasedGateway"}
_CHOOSE_ONE = {"exclusiveGateway", "eventBasedGateway"}
_CATCHES = {"intermediateCatchEvent", "receiveTask"}


def check_structure(root: Any, filename: str, top_key: str | None,
                    policy_clocks: PolicyClocks | None = None) -> list[Problem]:
    """Every structural error and warning of the processes in ``root``."""
    checker = _Structure(filename)
    # Not-executable processes too: a designer who forgot the flag hears of every other fault in the same round.
    processes = [p for p in root.iterfind(f"{{{BPMN_NS}}}process") if p.get("id")]
    for process in processes:
        ids = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
        for scope in scopes(process):
            checker.scope(scope, ids)
        check_multi_instance(checker, process, ids)
    if policy_clocks is not None and top_key is not None:
        check_clocks(checker, processes, top_key, policy_clocks)
    return checker.problems


class _Structure:
    """Collects the problems of one file."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self.budget = [BALANCE_BUDGET]

    def problem(self, node: Any, template: str, /, *, warn: str | None = None, **params: Any) -> None:
        """Record an error on ``node``; with ``warn`` (its code), a warning, unless ``accept`` names that code."""
        if warn is None:
            self.problems.append(Problem(self.filename, node.sourceline, node.get("id"), template, params))
        elif warn not in accepted(node):
            self.problems.append(Problem(self.filename, node.sourceline, node.get("id"), template,
                                         {**params, "code": warn}, Severity.WARNING))

    def scope(self, scope: Scope, ids: dict[str, Any]) -> None:
        """All checks of one process level."""
        before = len(self.problems)
        self._borders(scope, ids)
        self._ends_and_starts(scope)
        for node_id, kind in scope.kinds.items():
            if kind in GATEWAYS:
                self._gateway(scope, node_id, kind)
        if local_name(scope.element) != "adHocSubProcess":  # its steps have no order to check
            self._paths(scope)
        if not any(not p.is_warning for p in self.problems[before:]):
            self._balance(scope)  # on a broken graph these guesses would only add noise

    def _borders(self, scope: Scope, ids: dict[str, Any]) -> None:
        for flow in scope.flows:
            for attribute, ref, end in (("sourceRef", flow.source_ref, flow.source),
                                        ("targetRef", flow.target_ref, flow.target)):
                if end is None and ref in ids:  # a ref naming nothing at all is reported by the validator
                    self.problem(flow.element, "{attribute} {target} is not a step of this process level: a sequence "
                                             "flow cannot cross a subprocess or pool border, nor end on a lane "
                                             "or data (between pools, use a message flow)",
                               attribute=attribute, target=ref)
        for node_id, kind in scope.kinds.items():
            if kind != "boundaryEvent":
                continue
            node = scope.nodes[node_id]
            target = node.get("attachedToRef")
            if target in scope.nodes and scope.kinds[target] not in ACTIVITIES:
                self.problem(node, "boundary event is attached to {target}, which is not a task, subprocess or call "
                                 "activity: attach it to the activity whose work it interrupts or accompanies",
                           target=target)
            elif target in ids and target not in scope.nodes:
                self.problem(node, "boundary event is attached to {target}, which is on another process level: "
                                 "draw the event on the border of an activity beside it", target=target)

    def _ends_and_starts(self, scope: Scope) -> None:
        for node_id, kind in scope.kinds.items():
            node = scope.nodes[node_id]
            incoming = [f.id for f in scope.incoming.get(node_id, ())]
            outgoing = [f.id for f in scope.outgoing.get(node_id, ())]
            if scope.is_event_subprocess(node_id) and (incoming or outgoing):
                self.problem(node, "an event subprocess is started by its own start event, never by a flow: "
                                 "delete {flows}", flows=", ".join(incoming + outgoing))
            elif kind == "startEvent" and incoming:
                self.problem(node, "a start event cannot have incoming flows: let {flows} lead to the step after it",
                           flows=", ".join(incoming))
            elif kind == "boundaryEvent" and incoming:
                self.problem(node, "a boundary event cannot have incoming flows ({flows}): it fires when its "
                                 "activity's event happens", flows=", ".join(incoming))
            elif kind == "endEvent" and outgoing:
                self.problem(node, "an end event cannot have outgoing flows ({flows}): use an intermediate event "
                                 "or a task here, or delete the flows", flows=", ".join(outgoing))

    def _gateway(self, scope: Scope, node_id: str, kind: str) -> None:
        node = scope.nodes[node_id]
        outs = scope.outgoing.get(node_id, [])
        default = node.get("default")
        if kind in ("exclusiveGateway", "inclusiveGateway"):
            self._choice(node, kind, outs, default, scope)
        elif kind == "parallelGateway":
            for flow in outs:
                if flow.conditional:
                    self.problem(flow.element, "the condition on this flow is ignored: a parallel gateway takes "
                                               "every outgoing flow; remove it, or use an exclusive or inclusive "
                                               "gateway", warn="parallel_condition")
        elif kind == "eventBasedGateway":
            for flow in outs:
                if flow.target is not None and scope.kinds[flow.target] not in _CATCHES:
                    self.problem(flow.element, "this flow leaves an event-based gateway but leads to {target}, which "
                                             "waits for no event: lead it to an intermediate catch event (message, "
                                             "timer, signal) or a receive task", target=flow.target)

    def _choice(self, node: Any, kind: str, outs: list[Any], default: str | None, scope: Scope) -> None:
        ids = [f.id for f in outs]
        if default and default not in scope.flow_ids:
            return  # the validator reported the missing default; guessing what was meant would add noise
        if default and default not in ids:
            self.problem(node, "default flow {flow} does not leave this gateway: choose one of its own outgoing "
                             "flows ({flows})", flow=default, flows=", ".join(ids) or "-")
        plain = [f for f in outs if f.id != default and not f.conditional]
        for flow in outs:
            if flow.id == default and flow.conditional:
                self.problem(flow.element, "the condition on this default flow is never evaluated: the default is "
                                           "taken when no other condition holds; remove the condition",
                             warn="default_condition")
        if len(outs) == 1:
            if outs[0].conditional and outs[0].id != default:
                self.problem(node, "the only flow out of this gateway ({flow}) has a condition: when it is false the "
                                 "case stops; remove the condition or add another way out (a default flow)",
                           flow=outs[0].id)
            return
        for flow in plain:  # SpiffWorkflow refuses these too, in words a designer cannot act on
            self.problem(flow.element, "this flow leaves gateway {gateway} without a condition and is not its default "
                                     "flow: give it a condition, or make it the default", gateway=node.get("id"))
        if outs and not plain and not default:
            self.problem(node, "no default flow: when none of the conditions holds, the case stops with an error. "
                               "Mark one outgoing flow as the default, or, if the conditions cover every case, give "
                               "the gateway the property accept = {code} with your reason", warn="no_default")

    def _paths(self, scope: Scope) -> None:
        starts = [n for n, kind in scope.kinds.items() if kind == "startEvent"]
        # Event subprocesses start on their own; a boundary event on nothing was reported by the validator.
        standalone = [n for n in scope.nodes if scope.is_event_subprocess(n) or (
            scope.kinds[n] == "boundaryEvent" and scope.nodes[n].get("attachedToRef") not in scope.nodes)]
        alone = set(standalone)
        ordinary = [n for n in scope.nodes if n not in alone]
        # Flows whose other end is missing were reported by the validator; treat them as open, not as new faults.
        entries = [f.target for f in scope.flows if f.target is not None and f.source is None]
        exits = {f.source for f in scope.flows if f.source is not None and f.target is None}
        # Link events (refused by the validator) jump from a throw to a catch: count them as open ends too.
        links = [n for n, node in scope.nodes.items() if node.find(f"{{{BPMN_NS}}}linkEventDefinition") is not None]
        entries += [n for n in links if scope.kinds[n] == "intermediateCatchEvent"]
        exits.update(n for n in links if scope.kinds[n] == "intermediateThrowEvent")
        if not starts and ordinary:
            self.problem(scope.element, "no start event: add a start event where work on this process level begins")
        else:
            reached = forward(scope, starts + standalone + entries)
            for node_id in ordinary:
                if node_id in reached:
                    continue
                node = scope.nodes[node_id]
                if scope.kinds[node_id] == "boundaryEvent":
                    continue  # its activity is reported
                self.problem(node, "no path from a start event reaches this step: connect a flow into it, or delete it")
        dead = []
        for node_id in ordinary:
            if scope.kinds[node_id] != "endEvent" and node_id not in scope.outgoing and node_id not in exits:
                dead.append(node_id)
                self.problem(scope.nodes[node_id], "dead end: no flow leaves this step, so a case that gets here can "
                                                 "never finish; connect it onward, or end the path with an end event")
        ends = [n for n, kind in scope.kinds.items() if kind == "endEvent"]
        finishing = backward(scope, [*ends, *standalone, *exits, *dead])
        stuck = set(scope.nodes) - finishing
        for members in terminal_components(scope, stuck):
            gateways = [m for m in members if scope.kinds[m] in GATEWAYS] or members[:1]
            for member in gateways:
                self.problem(scope.nodes[member], "no way out: from here every path goes round {loop} and never "
                                                "reaches an end event; add a flow out of the loop (e.g. from this "
                                                "gateway) towards an end event", loop=" → ".join(members))

    def _balance(self, scope: Scope) -> None:
        for node_id, kind in scope.kinds.items():
            if kind not in _SPLITS or len(scope.outgoing.get(node_id, ())) < 2 or self.budget[0] < 0:
                continue
            node = scope.nodes[node_id]
            merge = meeting_point(scope, node_id, self.budget)
            if self.budget[0] < 0:
                return
            merge_kind = scope.kinds.get(merge or "", "")
            if kind == "parallelGateway" and (merge is None or merge_kind == "endEvent"):
                self.problem(node, "the branches of this parallel gateway never meet again: each ends on its own and "
                                   "the work finishes only when all have. Join them with a parallel gateway, or give "
                                   "this gateway the property accept = {code} with your reason", warn="unjoined")
            elif kind == "parallelGateway" and merge_kind not in ("parallelGateway", "inclusiveGateway"):
                self.problem(node, "the branches of this parallel gateway meet at {merge} without a parallel gateway: "
                                   "{merge} and what follows run once per branch; join them with a parallel gateway "
                                   "first", warn="merged_without_join", merge=merge)
            elif kind in _CHOOSE_ONE | {"inclusiveGateway"} and merge_kind == "parallelGateway" and \
                    len(scope.incoming.get(merge or "", ())) > 1:
                self.problem(scope.nodes[merge], "this parallel gateway waits for all its incoming flows, but gateway "
                                                 "{split} may send a case down only some of them: such cases would "
                                                 "wait here forever; merge with an exclusive or inclusive gateway",
                             warn="waits_forever", split=node_id)

def accepted(node: Any) -> set[str]:
    """Warning codes the designer accepted on ``node`` (property ``accept``: ``code: reason``)."""
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        return set()
    return {(p.get("value") or "").split(":")[0].strip()
            for p in extensions.iterfind(f"{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property")
            if p.get("name") == "accept"}

