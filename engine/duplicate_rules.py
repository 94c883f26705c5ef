"""Suspected duplicates declared in data: a start event's ``duplicates`` property names the start-form
fields two requests share when they are the same problem (e.g. ``category, address``).

A start whose values equal those of a running case of the same process, started within
``duplicate_days`` days (the start event's property, else the server's setting), is answered
with a warning listing those cases: the starter confirms it is another problem, or merges the
request into the earlier case (``engine/merged_requests.py``). Texts are compared normalised
(full-width folded, whitespace and case ignored), so "七区 5 号楼" and "七区５号楼" are one place.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn_xml import line_of_id
from engine.errors import FieldError, Problem
from engine.models import InstanceStatus, ProcessInstance

FIELDS, DAYS = "duplicates", "duplicate_days"
MAX_FIELDS = 5
MAX_DAYS = 366
SCAN = 500  # the newest running cases compared, at most
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def fields_of(properties: Mapping[str, Any]) -> list[str]:
    """The field names a ``duplicates`` property lists (well-formed ones, at most five)."""
    value = properties.get(FIELDS)
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else []
    return [n for n in names if _NAME.match(n)][:MAX_FIELDS]


def problems(properties: Mapping[str, str], form: Mapping[str, Any] | None) -> list[tuple[str, dict[str, object]]]:
    """Deploy-time problems (template, parameters) of a start event's duplicate properties."""
    found: list[tuple[str, dict[str, object]]] = []
    value = properties.get(FIELDS)
    if value is not None:
        known = set(((form or {}).get("properties") or {}).keys())
        names = [n.strip() for n in value.split(",") if n.strip()]
        if not names or len(names) > MAX_FIELDS or any(not _NAME.match(n) for n in names):
            found.append(("{property} lists 1 to {limit} start-form field names, separated by commas",
                          {"property": FIELDS, "limit": MAX_FIELDS}))
        for name in (n for n in names if _NAME.match(n) and n not in known):
            found.append(("{property}: {field} is not a field of the start form", {"property": FIELDS, "field": name}))
    days = properties.get(DAYS)
    if days is not None and not (days.isdigit() and 1 <= int(days) <= MAX_DAYS):
        found.append(("{property} is a whole number of days from 1 to {limit}", {"property": DAYS, "limit": MAX_DAYS}))
    return found


def located(filename: str, tree: Any, start: Mapping[str, Any] | None, elements: Mapping[str, Any],
            forms: Mapping[str, Any]) -> list[Problem]:
    """The deploy-time problems of the top start event's duplicate properties, located on it."""
    element = (start or {}).get("element")
    properties = (elements.get(element) or {}).get("properties") or {} if element else {}
    if FIELDS not in properties and DAYS not in properties:
        return []
    line = line_of_id(tree, element)
    form = forms.get((start or {}).get("form") or "")
    return [Problem(filename, line, element, template, params) for template, params in problems(properties, form)]


def same_text(value: Any) -> Any:
    """A value as compared: texts NFKC-folded, without whitespace, case folded; others as they are."""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold() if isinstance(value, str) else value


def same_problem(properties: Mapping[str, Any], data: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two start data are the same problem by the declared fields (never when none are declared)."""
    fields = fields_of(properties)
    return bool(fields) and all(data.get(f) not in (None, "") and same_text(data.get(f)) == same_text(other.get(f))
                                for f in fields)


def suspected(session: Session, process_key: str, properties: Mapping[str, Any], data: Mapping[str, Any], *,
              now: datetime, default_days: int) -> list[FieldError]:
    """A warning per running case of ``process_key`` started lately with the same values in the listed fields."""
    fields = fields_of(properties)
    days_text = properties.get(DAYS)
    days = int(days_text) if isinstance(days_text, str) and days_text.isdigit() else default_days
    if not fields or days <= 0 or any(data.get(f) in (None, "") for f in fields):
        return []
    wanted = {f: same_text(data[f]) for f in fields}
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.created_at, ProcessInstance.case_data)
        .where(ProcessInstance.process_key == process_key, ProcessInstance.status == InstanceStatus.RUNNING,
               ProcessInstance.created_at >= now - timedelta(days=min(days, MAX_DAYS)))
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc()).limit(SCAN)
    ).all()
    return [FieldError(fields[-1], "Suspected duplicate: case {id} ({title}) is open for the same {fields} since "
                                   "{at}.", "suspected_duplicate",
                       {"id": r.id, "title": r.title, "fields": ", ".join(fields), "at": r.created_at})
            for r in rows if all(same_text((r.case_data or {}).get(f)) == v for f, v in wanted.items())]
