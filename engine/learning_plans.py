"""What a business rule task learns from people (人机协同): its ``learn_*`` extension properties, read and checked.

A designer adds to a business rule task (camunda:properties), for example::

    learn_from = ywtb_dispatch.handler     the form and field whose chosen values teach the model
    learn_output = unit                    the decision's output the model may fill
    learn_confidence = confidence          optional (this is the default): the output holding how sure it is
    learn_text = description address       case fields read as text (segmented into words)
    learn_tokens = category street         case fields read as whole values
    learn_catalogue = category             optional: the case field holding a problem category;
                                           the category catalogue's owners are the cold start
    learn_after = 50                       decisions learned before the model may outvote the rules

Nothing here names a form or a field: the diagram does.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import decision_tables
from engine.bpmn_xml import NSMAP
from engine.errors import Problem
from engine.expressions import Evaluator

PREFIX = "learn_"
KEYS = ("learn_from", "learn_output", "learn_confidence", "learn_text", "learn_tokens", "learn_catalogue",
        "learn_after")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
FORM_KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}")
MAX_FIELDS = 8
DEFAULT_AFTER = 50
DEFAULT_CONFIDENCE = "confidence"
MAX_AFTER = 1_000_000


@dataclass(frozen=True)
class LearningPlan:
    """The form field people choose on, the output it fills, and the case fields a model reads."""

    form: str
    field: str
    output: str
    text: tuple[str, ...]
    tokens: tuple[str, ...]
    catalogue: str | None = None
    after: int = DEFAULT_AFTER
    confidence: str = DEFAULT_CONFIDENCE

    def as_json(self) -> dict[str, Any]:
        """The plan as the task spec stores it."""
        return {"form": self.form, "field": self.field, "output": self.output, "text": list(self.text),
                "tokens": list(self.tokens), "catalogue": self.catalogue, "after": self.after,
                "confidence": self.confidence}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LearningPlan:
        """The plan :meth:`as_json` wrote."""
        return cls(str(raw["form"]), str(raw["field"]), str(raw["output"]), tuple(raw.get("text") or ()),
                   tuple(raw.get("tokens") or ()), raw.get("catalogue"), int(raw.get("after", DEFAULT_AFTER)),
                   str(raw.get("confidence") or DEFAULT_CONFIDENCE))


def properties(node: Any) -> dict[str, str]:
    """The ``learn_*`` extension properties of a BPMN element."""
    found = {}
    for item in node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NSMAP):
        name = item.get("name") or ""
        if name.startswith(PREFIX):
            found[name] = (item.get("value") or "").strip()
    return found


def read(props: Mapping[str, str]) -> tuple[LearningPlan | None, list[tuple[str, str, dict[str, Any]]]]:
    """The plan of an element's ``learn_*`` properties (None without them) and its problems (key, template, params)."""
    if not props:
        return None, []
    problems: list[tuple[str, str, dict[str, Any]]] = []
    for key in props:
        if key not in KEYS:
            problems.append((key, "{key} is not a learning property (use {known})",
                             {"key": key[:64], "known": ", ".join(KEYS)}))
    form, _dot, field = props.get("learn_from", "").rpartition(".")
    if not FORM_KEY.fullmatch(form or "-") or not form or not NAME.fullmatch(field):
        problems.append(("learn_from", "learn_from must be form.field, the form and field whose chosen "
                         "values teach the model (e.g. dispatch.handler)", {}))
    output = props.get("learn_output", "")
    if not NAME.fullmatch(output):
        problems.append(("learn_output", "learn_output must name the decision output the model fills", {}))
    confidence = props.get("learn_confidence") or DEFAULT_CONFIDENCE
    if not NAME.fullmatch(confidence) or confidence == output:
        problems.append(("learn_confidence", "learn_confidence must name another output, the one holding how "
                         "sure the suggestion is", {}))
    text, tokens = _names(props, "learn_text", problems), _names(props, "learn_tokens", problems)
    if not text and not tokens:
        problems.append(("learn_text", "learn_text or learn_tokens must name at least one case field", {}))
    catalogue = props.get("learn_catalogue") or None
    if catalogue is not None and not NAME.fullmatch(catalogue):
        problems.append(("learn_catalogue", "learn_catalogue must name the case field holding a category code", {}))
    after = props.get("learn_after", str(DEFAULT_AFTER))
    if not after.isdigit() or not 0 <= int(after) <= MAX_AFTER:
        problems.append(("learn_after", "learn_after must be a whole number from 0 to {limit}", {"limit": MAX_AFTER}))
    if problems:
        return None, problems
    return LearningPlan(form, field, output, text, tokens, catalogue, int(after), confidence), []


def _names(props: Mapping[str, str], key: str, problems: list[tuple[str, str, dict[str, Any]]]) -> tuple[str, ...]:
    names = tuple(props.get(key, "").replace(",", " ").split())
    if len(names) > MAX_FIELDS or not all(NAME.fullmatch(n) for n in names):
        problems.append((key, "{key} must list at most {limit} case field names", {"key": key, "limit": MAX_FIELDS}))
        return ()
    return names


def located(filename: str, tree: Any, forms: Mapping[str, Any], decisions: Mapping[str, str],
            evaluator: Evaluator) -> list[Problem]:
    """Problems of every business rule task's learning: its properties, its form and field, its output.

    ``decisions`` maps decision ids to their DMN text (the deploy's checked choice).
    """
    problems: list[Problem] = []
    outputs: dict[str, tuple[str, ...]] = {}
    for node in tree.getroot().iterfind(".//bpmn:businessRuleTask", NSMAP):
        plan, found = read(properties(node))
        element = node.get("id")
        problems.extend(Problem(filename, node.sourceline, element, template, params)
                        for _key, template, params in found)
        if plan is None:
            continue
        schema = forms.get(plan.form)
        fields = (schema or {}).get("properties") or {}
        if schema is not None and plan.field not in fields:
            problems.append(Problem(filename, node.sourceline, element, "learn_from: form {form} has no field "
                                    "{field}", {"form": plan.form, "field": plan.field}))
        elif schema is None:
            problems.append(Problem(filename, node.sourceline, element, "learn_from: form {form} is no form of "
                                    "this diagram's steps", {"form": plan.form}))
        ref = node.get(f"{{{NSMAP['camunda']}}}decisionRef") or ""
        if ref in decisions and ref not in outputs:
            tables, _problems = decision_tables.read(decisions[ref].encode(), ref, evaluator)
            outputs[ref] = next((t.outputs for t in tables if t.id == ref), ())
        for name in (plan.output, plan.confidence):
            if ref in outputs and name not in outputs[ref]:
                problems.append(Problem(filename, node.sourceline, element, "learning: {output} is no output of "
                                        "decision {ref}", {"output": name, "ref": ref}))
        if (node.get(f"{{{NSMAP['camunda']}}}mapDecisionResult") or "singleResult") != "singleResult":
            problems.append(Problem(filename, node.sourceline, element, "a learning decision keeps its outputs "
                                    "together (mapDecisionResult singleResult)"))
    return problems
