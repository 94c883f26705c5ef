"""Check a process bundle before it can run: every problem, located, never a traceback.

A bundle is one BPMN file plus the forms and DMN files its elements name. The checks run cheap to expensive
(XML, schema, our rules, SpiffWorkflow's parser) and collect all they find: one round trip per fix.
"""
from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import case_link_keys, decision_checks, duplicate_rules, learning_plans, message_senders, spiff, start_roles
from engine.assignment_checks import AssignmentChecks, example_role, properties_of
from engine.bpmn_xml import BPMN_NS, CAMUNDA_NS, line_of_id, parse_bpmn
from engine.errors import DefinitionInvalid, Problem, Text
from engine.expressions import Evaluator, ExpressionError
from engine.forms import check_form, read_form
from engine.loop_checks import cardinality_refusal, loop_maximum_refusal
from engine.organisation_view import OrganisationView
from engine.stages import fan_outs
from engine.structure import check_structure

HUMAN_TASKS = {"userTask", "manualTask", "task"}
_UNSUPPORTED = {
    "complexGateway": "complex gateways are not supported; use exclusive, inclusive or parallel gateways",
    "serviceTask": "service tasks are not supported; model the work as a user task",
    "compensateEventDefinition": "compensation is not supported",
    "linkEventDefinition": "link events are not supported; connect the flow directly",
}
_TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")
# SpiffWorkflow names its own task specs so; an element with such an id breaks the workflow.
_RESERVED_IDS = {"Start", "End", "Root"}
_RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")


@dataclass
class Bundle:
    """What a designer deploys: a BPMN file and the form schemas it may name."""

    filename: str
    bpmn: bytes
    forms: dict[str, bytes] = field(default_factory=dict)  # form key -> raw JSON
    form_paths: dict[str, str] = field(default_factory=dict)  # form key -> path for messages
    fallback_forms: Mapping[str, Any] = field(default_factory=dict)  # from the deployed version
    decisions: dict[str, bytes] = field(default_factory=dict)  # DMN file path -> raw XML (decisions/*.dmn)
    fallback_decisions: dict[str, str] = field(default_factory=dict)  # decision id -> DMN of deployed versions
    # Clock names of the SLA policy of a process key (None: it has none, or the caller cannot tell), from
    # whoever knows the policies (web, CLI); ``clock`` properties are checked only against a known policy.
    policy_clocks: Callable[[str], Collection[str] | None] | None = None
    # What lanes and assignment expressions are checked against (the deploy reads the database when None).
    organisation: OrganisationView | None = None


@dataclass
class ValidatedBundle:
    """A bundle that passed every check, ready to store."""

    key: str
    name: str
    filename: str
    bpmn: bytes
    sha256: str
    bundle_sha256: str
    spec_json: str
    catalog: dict[str, Any]
    forms: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)  # shown to the designer; they do not refuse


def validate_bundle(bundle: Bundle, evaluator: Evaluator, *, allow_script_tasks: bool = False) -> ValidatedBundle:
    """Check ``bundle``; raise :class:`DefinitionInvalid` listing every problem."""
    tree, problems = parse_bpmn(bundle.bpmn, bundle.filename)
    if tree is None:
        raise DefinitionInvalid(problems)
    checker = _Checker(tree, bundle.filename, evaluator, allow_script_tasks,
                       bundle.organisation or OrganisationView())
    checker.run()
    problems = checker.problems
    forms, form_problems = _collect_forms(bundle, checker.form_keys, tree)
    problems.extend(form_problems)
    decisions = decision_checks.check(tree, bundle, evaluator, problems)
    problems += duplicate_rules.located(bundle.filename, tree, checker.start, checker.elements, forms) + \
        learning_plans.located(bundle.filename, tree, forms, decisions, evaluator)
    problems.extend(check_structure(tree.getroot(), bundle.filename, checker.top_process, bundle.policy_clocks))
    warnings = [p for p in problems if p.is_warning]
    key = checker.top_process
    if len(problems) > len(warnings) or key is None:
        raise DefinitionInvalid(problems)
    try:
        spec_json = spiff.build_specs(tree, bundle.filename, key, decisions)
    except spiff.SpecBuildError as error:
        element = error.problem.element
        raise DefinitionInvalid(
            [Problem(bundle.filename, line_of_id(tree, element), element, "the engine refused this model: {reason}",
                     {"reason": error.problem.message}), *warnings]
        ) from None
    decided = json.dumps(decisions, sort_keys=True, ensure_ascii=False).encode() if decisions else b""  # old hash kept
    bundle_hash = hashlib.sha256(bundle.bpmn + json.dumps(forms, sort_keys=True, ensure_ascii=False).encode() + decided)
    return ValidatedBundle(
        key=key,
        name=checker.process_names.get(key) or key,
        filename=bundle.filename,
        bpmn=bundle.bpmn,
        sha256=hashlib.sha256(bundle.bpmn).hexdigest(),
        bundle_sha256=bundle_hash.hexdigest(),
        spec_json=spec_json,
        catalog=checker.catalog(),
        forms=forms,
        warnings=sorted(warnings, key=lambda p: (p.line or 0, p.element or "")),
    )


def _collect_forms(bundle: Bundle, keys: dict[str, str], tree: Any) -> tuple[dict[str, Any], list[Problem]]:
    forms: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, element in sorted(keys.items()):
        path = bundle.form_paths.get(key, f"forms/{key}.json")
        line = line_of_id(tree, element)
        if key in bundle.forms:
            schema, found = read_form(bundle.forms[key], path)
            if schema is not None and not found:
                forms[key] = schema
        elif key in bundle.fallback_forms:
            found = check_form(bundle.fallback_forms[key], path)
            forms[key] = bundle.fallback_forms[key]
        else:
            problems.append(Problem(bundle.filename, line, element, "form {key} not found (looked for {path})",
                                    {"key": key, "path": path}))
            continue
        problems.extend(found)
        if found:  # also point at the element, so the BPMN file that names the form is listed
            problems.append(Problem(bundle.filename, line, element, "form {key} is not usable (see {path})",
                                    {"key": key, "path": path}))
    return forms, problems


class _Checker:
    """Walks one BPMN tree and records problems and the element catalog."""

    def __init__(self, tree: etree._ElementTree, filename: str, evaluator: Evaluator, allow_scripts: bool,
                 organisation: OrganisationView) -> None:
        self.tree = tree
        self.organisation = organisation
        self.assignments = AssignmentChecks(organisation, self.problem)
        self.root = tree.getroot()
        self.filename = filename
        self.evaluator = evaluator
        self.allow_scripts = allow_scripts
        self.problems: list[Problem] = []
        self.form_keys: dict[str, str] = {}  # form key -> first element naming it
        self.elements: dict[str, dict[str, Any]] = {}
        self.process_names: dict[str, str] = {}
        self.top_process: str | None = None
        self.start: dict[str, Any] = {}

    def problem(self, node: Any, template: str, **params: Any) -> None:
        element = node.get("id") if node is not None else None
        line = node.sourceline if node is not None else None
        self.problems.append(Problem(self.filename, line, element, template, params))

    def run(self) -> None:
        # The schema reports lines only; name the element when it is the only one starting on that line.
        on_line: dict[int, list[str | None]] = {}
        for node in self.root.iter():
            if isinstance(node.tag, str) and node.sourceline is not None:
                on_line.setdefault(node.sourceline, []).append(node.get("id"))
        for line, message in spiff.schema_errors(self.tree):
            found = on_line.get(line, [])
            element = found[0] if len(found) == 1 else None
            self.problems.append(Problem(self.filename, line, element, "BPMN schema: {reason}", {"reason": message}))
        self._check_ids()
        processes = self.root.findall(f"{{{BPMN_NS}}}process")
        self._find_top(processes)
        for process in processes:
            self._check_process(process)
        self._check_recursion(processes)
        self.senders = message_senders.senders(self.root, self.filename, self.organisation.roles, self.problems)
        self.start.update(start_roles.declared(self.root, self.start, self.organisation.roles, self.problem))

    def _check_ids(self) -> None:
        seen: dict[str, int] = {}
        for node in self.root.iter():
            if not isinstance(node.tag, str):
                continue
            ident = node.get("id")
            if ident is None:
                continue
            if ident in seen:
                self.problem(node, "id {id} is used twice (first on line {first})", id=ident, first=seen[ident])
            seen[ident] = node.sourceline

    def _find_top(self, processes: list[Any]) -> None:
        executable = [p for p in processes if p.get("isExecutable", "false").lower() == "true"]
        for process in processes:
            self.process_names[process.get("id", "")] = process.get("name") or process.get("id", "")
            if process not in executable:
                self.problem(process, 'process is not executable: set isExecutable="true"')
            if not process.get("id"):
                self.problem(process, "process has no id: give it one (it becomes the process key)")
        called = {c.get("calledElement") for c in self.root.iter(f"{{{BPMN_NS}}}callActivity")}
        top = [p.get("id") for p in executable if p.get("id") and p.get("id") not in called]
        if not processes:
            self.problems.append(Problem(self.filename, self.root.sourceline, None, "the file contains no process"))
        elif len(top) > 1:
            self.problems.append(
                Problem(self.filename, self.root.sourceline, None,
                        "the file holds several top-level processes ({ids}); put each in its own file",
                        {"ids": ", ".join(top)})
            )
        elif len(top) == 1:
            self.top_process = top[0]
        elif any(p.get("id") for p in executable):
            first = executable[0]
            self.problem(first, "no top-level process: every executable process is called by a call activity "
                                "(a process may not call itself)")

    def _check_process(self, process: Any) -> None:
        process_id = process.get("id", "")
        ids = {n.get("id") for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
        lanes = self._lanes(process, ids)
        for node in process.iter():
            if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            local = etree.QName(node).localname
            ident = node.get("id") or ""
            if node is not process and (ident in _RESERVED_IDS or ident.endswith(_RESERVED_SUFFIXES)):
                self.problem(node, "id {id} is reserved by the engine: rename the element", id=ident)
            if local in _UNSUPPORTED:
                # An event definition is reported on its event: that is what designers select.
                self.problem(node.getparent() if local.endswith("EventDefinition") else node, _UNSUPPORTED[local])
            elif local == "scriptTask":
                self._check_script(node)
            elif local == "sequenceFlow":
                self._check_flow(node, ids)
            elif local == "conditionExpression":
                self._check_condition(node)
            elif local in _TIMER_PARTS:
                self._check_timer(node)
            elif local in ("loopCardinality", "completionCondition"):
                self._check_expression(node.getparent().getparent(), node.text, local)  # on the activity
                if local == "loopCardinality":
                    self._check_cardinality(node.getparent().getparent(), node.text)
            elif local == "standardLoopCharacteristics":
                self._check_loop_maximum(node.getparent(), node.get("loopMaximum"))
            elif local in ("inputDataItem", "outputDataItem") and not node.get("id"):
                # SpiffWorkflow names the per-instance variable by the id; without one a case crashes.
                activity = node.getparent().getparent()
                self.problems.append(Problem(self.filename, node.sourceline, activity.get("id"),
                                             "{what} has no id: the id names each instance's variable",
                                             {"what": local}))
            elif local == "conditionalEventDefinition":
                condition = node.find(f"{{{BPMN_NS}}}condition")
                self._check_expression(node.getparent(), condition.text if condition is not None else None,
                                       "conditional event")
            elif local == "callActivity":
                self._check_call(node)
            elif local == "messageEventDefinition" and node.get("messageRef") is not None:
                self._check_message(node)
            if local == "boundaryEvent":
                self._check_reference(node, "attachedToRef", ids)
            if node.get("default") is not None:
                self._check_reference(node, "default", ids)
            if node.get("isForCompensation", "false") == "true":
                self.problem(node, "compensation is not supported")
            if local in HUMAN_TASKS or local in ("startEvent", "callActivity", "subProcess"):
                self._record_element(process_id, node, local, lanes)

    def _lanes(self, process: Any, ids: set[str]) -> dict[str, tuple[str, str | None]]:
        """Each flow node's lane: its name and the lane's ``assign`` property (innermost lane wins)."""
        by_node: dict[str, tuple[str, str | None]] = {}
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            name = lane.get("name") or ""
            leaf = lane.find(f"{{{BPMN_NS}}}childLaneSet") is None
            if leaf and self.organisation.roles.for_lane(name) is None:
                self.problem(lane, "lane {name} names no known role (write a role's name or code, e.g. {example})",
                             name=name or "''", example=example_role(self.organisation))
            assign = properties_of(lane).get("assign")
            if assign is not None:
                self.assignments.check(lane, assign)
            for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
                target = (ref.text or "").strip()
                if target not in ids:
                    self.problems.append(Problem(self.filename, ref.sourceline, lane.get("id"),
                                                 "lane refers to {target}, which is not in this process",
                                                 {"target": target}))
                by_node[target] = (name, assign)
        return by_node

    def _record_element(self, process_id: str, node: Any, local: str,
                        lanes: dict[str, tuple[str, str | None]]) -> None:
        element_id = node.get("id", "")
        lane, lane_assign = lanes.get(element_id, (None, None))
        role = self.organisation.roles.for_lane(lane)
        form_key = node.get(f"{{{CAMUNDA_NS}}}formKey")
        properties = properties_of(node)
        if form_key:
            self.form_keys.setdefault(form_key, element_id)
        own = properties.get("assign")
        if own is not None:
            self.assignments.check(node, own)
        for template, params in case_link_keys.problems(local in HUMAN_TASKS, properties):
            self.problem(node, template, **params)
        assign = own or lane_assign
        if local in HUMAN_TASKS and lane is None:
            self.problem(node, "human task is in no lane: put it in a lane that names a role")
        if role is not None and local in HUMAN_TASKS:
            self.assignments.note(node, role, assign)
        elif role is not None and local == "startEvent" and (assign or role.assign):
            self.assignments.note(node, role, assign)  # a starter's seat is the unit; no expression needed
        self.elements[element_id] = {
            "process": process_id,
            "type": local,
            "name": node.get("name") or element_id,
            "lane": lane,
            "role": role.code if role else None,
            "assign": assign,
            "form": form_key,
            "properties": properties,
        }
        if local == "startEvent" and process_id == self.top_process and node.getparent().get("id") == process_id:
            self.start = {"element": element_id, "form": form_key, "role": role.code if role else None,
                          "assign": assign}

    def _check_flow(self, flow: Any, ids: set[str]) -> None:
        for attribute in ("sourceRef", "targetRef"):
            target = flow.get(attribute)
            if not target or target not in ids:
                self.problem(flow, "{attribute} {target} does not exist in this process",
                             attribute=attribute, target=target or "''")

    def _check_reference(self, node: Any, attribute: str, ids: set[str]) -> None:
        target = node.get(attribute)
        if not target or target not in ids:
            self.problem(node, "{attribute} {target} does not exist in this process",
                         attribute=attribute, target=target or "''")

    def _check_condition(self, node: Any) -> None:
        flow = node.getparent()
        self._check_expression(flow, node.text, "conditionExpression")

    def _check_expression(self, owner: Any, text: str | None, what: str) -> None:
        if text is None or not text.strip():
            self.problem(owner, "{what} is empty", what=what)
            return
        error = self._refusal(text)
        if error is not None:
            self.problem(owner, "{what} {expression} refused: {reason}", what=what, expression=text.strip(),
                         reason=Text(error.template, error.params))

    def _check_cardinality(self, activity: Any, text: str | None) -> None:
        if text is None or not text.strip() or self._refusal(text) is not None:
            return  # reported by _check_expression
        refusal = cardinality_refusal(self.evaluator, text)
        if refusal is not None:
            self.problem(activity, refusal.template, **refusal.params)

    def _check_loop_maximum(self, activity: Any, text: str | None) -> None:
        refusal = loop_maximum_refusal(self.evaluator, text)
        if refusal is not None:
            self.problem(activity, refusal.template, **refusal.params)

    def _refusal(self, text: str) -> ExpressionError | None:
        """Why ``text`` is refused: a forbidden construct, or a part without variables that fails (``10**10**10``)."""
        try:
            pending: list[ast.AST] = [self.evaluator.compile(text).body]
            while pending:
                node = pending.pop()
                if isinstance(node, ast.BinOp) and not any(
                    isinstance(n, ast.Name | ast.Call | ast.Attribute) for n in ast.walk(node)
                ):
                    self.evaluator.evaluate(ast.unparse(node), {})
                else:
                    pending.extend(ast.iter_child_nodes(node))
        except ExpressionError as error:
            return error
        except RecursionError:
            return ExpressionError("the expression nests too deeply", text)
        return None

    def _check_timer(self, node: Any) -> None:
        event = node.getparent().getparent()
        text = (node.text or "").strip()
        if not text:
            self.problem(event, "timer has no value")
            return
        if spiff.ISO_TIMER_LITERAL.match(text):
            if not spiff.timer_literal_ok(text):
                self.problem(event, "{value} is not an ISO 8601 date, duration or cycle", value=text)
            return
        self._check_expression(event, text, "timer")

    def _check_script(self, node: Any) -> None:
        if not self.allow_scripts:
            self.problem(node, "script tasks are refused on this server (enable them with {switch}; "
                               "only 'name = expression' lines run)", switch="WHISTLE_ALLOW_SCRIPT_TASKS=1")
            return
        script = node.find(f"{{{BPMN_NS}}}script")
        try:
            for _target, expression in spiff.script_assignments(script.text or "" if script is not None else ""):
                error = self._refusal(expression)
                if error is not None:
                    raise error
        except ExpressionError as error:
            self.problem(node, "script refused: {reason}", reason=Text(error.template, error.params))

    def _check_message(self, definition: Any) -> None:
        messages = {m.get("id") for m in self.root.findall(f"{{{BPMN_NS}}}message")}
        if definition.get("messageRef") not in messages:
            self.problem(definition.getparent(), "messageRef {ref} names no message of this file",
                         ref=definition.get("messageRef"))

    def _check_call(self, node: Any) -> None:
        called = node.get("calledElement")
        known = {p.get("id") for p in self.root.findall(f"{{{BPMN_NS}}}process")}
        if called not in known:
            self.problem(node, "called process {called} is not in this file", called=called or "''")

    def _check_recursion(self, processes: list[Any]) -> None:
        calls = {p.get("id"): list(p.iter(f"{{{BPMN_NS}}}callActivity")) for p in processes}
        for process_id, activities in calls.items():
            for activity in activities:
                seen: set[str] = set()
                pending = [activity.get("calledElement")]
                while pending:
                    called = pending.pop()
                    if called == process_id:
                        self.problem(activity, "calling {called} leads back to {process}: recursive calls never end",
                                     called=activity.get("calledElement"), process=process_id)
                        break
                    if called in seen or called not in calls:
                        continue
                    seen.add(called)
                    pending.extend(a.get("calledElement") for a in calls[called])

    def catalog(self) -> dict[str, Any]:
        """What the engine needs about elements at run time, without parsing again."""
        return {
            "key": self.top_process,
            "processes": self.process_names,
            "elements": self.elements,
            "start": self.start,
            "stages": fan_outs(self.root, self.top_process, self.organisation.roles),  # boards never parse BPMN
            "unit_variables": sorted(self.assignments.unit_variables),  # unit-naming inputs, kept with tasks
            "message_senders": self.senders,  # who may send each message (sent_by), where events say
        }
