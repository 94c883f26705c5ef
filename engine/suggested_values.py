"""Values a step's form starts from, taken from the case data when the task is created (人机协同).

A form field may carry ``"x-suggested-from": "suggestion.unit"`` (a dotted path into the case
data, e.g. a business rule task's result) and ``"x-suggested-confidence": "suggestion.confidence"``.
The task keeps what the paths held when it was created, so its page can offer the value with one
click and show how sure the rule was, and a board can compare suggestions with what people chose.
Beside a value, a learning decision's ``source`` (rules or learned) and ``alternatives`` are kept too.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.errors import Problem
from engine.learned_suggestions import ALTERNATIVES, LEARNED, MAX_ALTERNATIVES, RULES, SOURCE

FROM, CONFIDENCE = "x-suggested-from", "x-suggested-confidence"
CONTEXT_KEY = "suggested"  # where a task's context keeps them
MAX_TEXT = 200
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$")


def check(schema: Mapping[str, Any], path: str) -> list[Problem]:
    """Problems of a form's suggestion paths: each must be a dotted name of at most four parts."""
    problems = []
    for name, spec in (schema.get("properties") or {}).items():
        for key in (FROM, CONFIDENCE):
            value = spec.get(key) if isinstance(spec, Mapping) else None
            if value is not None and not (isinstance(value, str) and _PATH.match(value)):
                problems.append(Problem(path, None, f"properties/{name}", "{key} must be a dotted variable path "
                                        "of at most four names (e.g. suggestion.unit)", {"key": key}))
    return problems


def read(schema: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Field name -> {"value": …, "confidence": … or None} for the fields whose path holds a plain value."""
    found: dict[str, dict[str, Any]] = {}
    for name, spec in ((schema or {}).get("properties") or {}).items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get(FROM), str):
            continue
        value = _at(data, spec[FROM])
        if value is None:
            continue
        confidence = _at(data, spec[CONFIDENCE]) if isinstance(spec.get(CONFIDENCE), str) else None
        found[name] = {"value": value,
                       "confidence": confidence if isinstance(confidence, int | float) and
                       not isinstance(confidence, bool) else None,
                       **_beside(data, spec[FROM])}
    return found


def _beside(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """What a learning decision adds beside the value (engine/learned_suggestions.py): its source, other choices."""
    parent = path.rpartition(".")[0]
    source = _at(data, f"{parent}.{SOURCE}") if parent else None
    others = _raw(data, f"{parent}.{ALTERNATIVES}") if parent else None
    found: dict[str, Any] = {}
    if source in (RULES, LEARNED):
        found["source"] = source
    if isinstance(others, list) and all(isinstance(o, str) and len(o) <= MAX_TEXT for o in others):
        found["alternatives"] = others[:MAX_ALTERNATIVES]
    return found


def _raw(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _at(data: Mapping[str, Any], path: str) -> Any:
    """The plain value (text up to 200 characters, number, true/false) at a dotted path, or None."""
    if not _PATH.match(path):
        return None
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    if isinstance(current, str):
        return current if len(current) <= MAX_TEXT else None
    return current if isinstance(current, int | float | bool) else None
