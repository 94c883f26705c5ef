"""Deploy-time checks of business rule tasks: the bundle's DMN files read, and every task's decision found."""
from __future__ import annotations

from typing import Any

from engine import decision_tables
from engine.bpmn_xml import BPMN_NS, CAMUNDA_NS
from engine.errors import Problem
from engine.expressions import Evaluator

DECISIONS_FOLDER = "decisions"  # beside the BPMN file (in a pack: the pack's folder)
MAX_FILES = 50
# How a task stores a decision's result: a dict of the output columns (a list for RULE ORDER and
# COLLECT), or the only column's value (for assignment expressions such as ``handler``).
MAPPINGS = ("singleResult", "singleEntry")


def check(tree: Any, bundle: Any, evaluator: Evaluator, problems: list[Problem]) -> dict[str, str]:
    """Decision id -> its DMN file's text, for the decisions the diagram's business rule tasks name.

    ``bundle`` is the validation's: its ``filename``, ``decisions`` (path -> raw DMN) and
    ``fallback_decisions`` (decision id -> the DMN text deployed versions embed).

    Appends to ``problems``: each DMN file's own (located in that file), a decision declared by two
    files, and each business rule task without a decision or naming one no file declares. A decision
    no file declares is taken from ``fallback`` (the deployed versions'), read again, when it is there.
    """
    filename, files, fallback = bundle.filename, bundle.decisions, bundle.fallback_decisions
    tasks = list(tree.getroot().iter(f"{{{BPMN_NS}}}businessRuleTask"))
    if not tasks:
        return {}
    declared: dict[str, tuple[str, str]] = {}  # decision id -> (file, text)
    outputs: dict[str, int] = {}  # decision id -> its output columns
    unreadable = False
    for path, raw in list(files.items())[:MAX_FILES]:
        tables, found = decision_tables.read(raw, path, evaluator)
        problems.extend(found)
        unreadable = unreadable or bool(found)
        for table in tables:
            if table.id in declared:
                problems.append(Problem(path, None, table.id, "decision {id} is also declared in {other}",
                                        {"id": table.id, "other": declared[table.id][0]}))
            declared[table.id] = (path, raw.decode("utf-8", "replace"))
            outputs[table.id] = len(table.outputs) if table.hit_policy not in ("RULE ORDER", "COLLECT") else 0
    for ref, text in (fallback or {}).items():
        if ref in declared or not any(t.get(f"{{{CAMUNDA_NS}}}decisionRef") == ref for t in tasks):
            continue
        tables, _found = decision_tables.read(text.encode(), f"deployed {ref}", evaluator)
        for table in (t for t in tables if t.id == ref):
            declared[ref] = (f"deployed {ref}", text)
            outputs[ref] = len(table.outputs) if table.hit_policy not in ("RULE ORDER", "COLLECT") else 0
    chosen: dict[str, str] = {}
    for task in tasks:
        decision = task.get(f"{{{CAMUNDA_NS}}}decisionRef") or ""
        if not decision:
            problems.append(Problem(filename, task.sourceline, task.get("id"),
                                    "a business rule task names its decision (camunda:decisionRef)"))
        elif decision not in declared and not unreadable:  # a broken file's decisions are not known yet
            problems.append(Problem(filename, task.sourceline, task.get("id"),
                                    "decision {ref} is in no DMN file of {folder}/",
                                    {"ref": decision, "folder": DECISIONS_FOLDER}))
        elif decision in declared:
            chosen[decision] = declared[decision][1]
            _check_mapping(task, filename, decision, outputs[decision], problems)
    return chosen


def _check_mapping(task: Any, filename: str, decision: str, outputs: int, problems: list[Problem]) -> None:
    """``camunda:mapDecisionResult``: singleResult (a dict; the default), or singleEntry for a one-column table."""
    mapping = task.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "singleResult"
    if mapping not in MAPPINGS:
        problems.append(Problem(filename, task.sourceline, task.get("id"), "mapDecisionResult {value} is not "
                                "supported (use {known})", {"value": mapping[:40], "known": ", ".join(MAPPINGS)}))
    elif mapping == "singleEntry" and outputs != 1:
        problems.append(Problem(filename, task.sourceline, task.get("id"), "singleEntry needs decision {ref} to "
                                "have one output column and one result (not RULE ORDER or COLLECT)", {"ref": decision}))
