"""The shared case record as the task page shows it: labelled fields, files, and each department's reports."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.cases import CaseRecord, HistoryEntry
from engine.inbox import TaskForm
from web.forms import Field, Option, fields_for

ATTACHMENTS = "/attachments/{id}"  # served by the attachments area when it is installed


@dataclass(frozen=True)
class Attachment:
    """A stored file named in case data; ``url`` is None while no page serves files."""

    id: str
    name: str
    url: str | None


@dataclass(frozen=True)
class Entry:
    """One labelled value of submitted data."""

    name: str
    label: str
    text: str
    files: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    """What one completed task submitted, with who and when."""

    task_id: int
    task_name: str
    at: datetime
    actor_name: str | None
    entries: list[Entry]


@dataclass(frozen=True)
class DepartmentReports:
    """Every report about one department's part of the case (its own work and the street's verdicts)."""

    code: str
    name: str
    own: bool
    reports: list[Report]


def entries(schema: Mapping[str, Any] | None, data: Mapping[str, Any], departments: Mapping[str, str],
            files: Mapping[str, str] | None = None) -> list[Entry]:
    """The values of ``data`` labelled by the form's titles, in the form's order; unknown keys last, as they are.

    ``files`` names stored files by id (what the uploader called them).
    """
    options = [Option(code, name) for code, name in departments.items()]
    fields = fields_for(dict(schema) if schema else None, values=dict(data), department_options=options)
    found = [_entry(f, (schema or {}).get("properties", {}).get(f.name, {}), files or {})
             for f in fields if f.name in data]
    known = {f.name for f in fields} | set((schema or {}).get("properties", {}))
    found += [Entry(key, key, _plain(value)) for key, value in data.items() if key not in known]
    return found


def _entry(f: Field, spec: Mapping[str, Any], files: Mapping[str, str]) -> Entry:
    if f.widget == "attachments" or spec.get("x-widget") == "attachments":
        values = [str(v) for v in (f.value if isinstance(f.value, list) else [f.value]) if v]
        return Entry(f.name, f.label, "", [Attachment(v, files.get(v, v), attachment_url(v)) for v in values])
    if f.options:
        labels = {o.value: o.label for o in f.options}
        values = f.value if isinstance(f.value, list) else [f.value]
        return Entry(f.name, f.label, "、".join(labels.get(_option_value(v), _plain(v)) for v in values))
    return Entry(f.name, f.label, _plain(f.value))


def _option_value(value: Any) -> str:
    """A value as the options name it (booleans are "true"/"false", as the form posts them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def attachment_url(attachment_id: str) -> str | None:
    """The address of a stored file, if this installation serves ``/attachments/<id>``."""
    path = ATTACHMENTS.format(id=attachment_id)
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # no such page (yet), or the id does not fit its rule
        return None
    return path


def department_reports(record: CaseRecord, forms: Mapping[int, TaskForm], schemas: Mapping[str, Any],
                       departments: Mapping[str, str], files: Mapping[str, str], *, own: str | None,
                       skip_task: int) -> list[DepartmentReports]:
    """Completed tasks' data grouped by the department they concern, summoned departments first in case order."""
    summoned = [str(code) for code in record.data.get("departments", []) or []]
    grouped: dict[str, list[Report]] = {code: [] for code in summoned}
    for event in record.history:
        if event.action != "completed" or event.task_id is None or event.task_id == skip_task:
            continue
        form = forms.get(event.task_id)
        about = form.about if form and form.about else None
        if about is None:
            continue
        grouped.setdefault(about, []).append(report_of(event, schemas.get(form.form_key or "") if form else None,
                                                       departments, files))
    return [DepartmentReports(code, departments.get(code, code), code == own, reports)
            for code, reports in grouped.items()]


def report_of(event: HistoryEntry, schema: Mapping[str, Any] | None, departments: Mapping[str, str],
              files: Mapping[str, str]) -> Report:
    """One completion from the history as a report."""
    data = event.payload.get("data") or {}
    return Report(event.task_id or 0, str(event.payload.get("task", "")), event.at, event.actor_name,
                  entries(schema, data if isinstance(data, dict) else {}, departments, files))
