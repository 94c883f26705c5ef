"""Everything the task page shows, gathered from engine and escalation reads (no workflow is loaded)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import catalog, inbox, suggested_values, tasks
from engine.access import may_unclaim
from engine.actors import Actor
from engine.cases import CaseRecord, case_record
from engine.context import EngineContext
from engine.errors import FieldError
from engine.models import Department, HumanTask, TaskStatus
from escalation.handoffs import Handoff, handoff_to
from escalation.supervision import ClockView, task_clocks
from escalation.urging import UrgingEntry, urgings_on
from web.forms import Field, Option, fields_for
from web.i18n import translate
from web.inbox import handover, uploads
from web.inbox.clocks import ClockSummary, summaries
from web.inbox.handover import HandoverForm
from web.inbox.record import DepartmentReports, Entry, Report, department_reports, entries, report_of
from web.inbox.rows import department_names

EXTENSION_FIELDS = ("clock", "extension", "reason")


@dataclass(frozen=True)
class ExtensionEntry:
    """One extension request of this task and what became of it, from the case history."""

    request_id: int
    clock: str
    extension: str
    reason: str
    requested_at: datetime
    requested_by: str | None
    status: str  # pending | approved | rejected
    decided_by: str | None = None
    note: str | None = None
    new_deadline: datetime | None = None


@dataclass(frozen=True)
class ExtensionForm:
    """The 延期申请 form: what was typed and what is wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskPage:
    """The task, its case, every department's reports, its clocks and its forms."""

    detail: tasks.TaskDetail
    record: CaseRecord
    about: str | None
    departments: dict[str, str]
    case_entries: list[Entry]
    reports: list[DepartmentReports]
    submitted: Report | None
    clocks: list[ClockView]
    clock_summaries: list[ClockSummary]
    extensions: list[ExtensionEntry]
    fields: list[Field]
    extension_form: ExtensionForm
    may_claim: bool
    may_release: bool
    may_complete: bool
    held_by_me: bool
    held_by_other: bool
    holder_name: str | None
    rework: Handoff | None = None  # the check that sent this step back (退回重办), shown as a banner on top
    rework_unit: str | None = None
    urgings: list[UrgingEntry] = field(default_factory=list)  # 督办/催办 sent about this task, newest first
    handover: HandoverForm | None = None  # 指派 or 转交 to a colleague, for those who may
    suggestions: list[Suggestion] = field(default_factory=list)  # what a rule proposed, prefilled (人机协同)

    @property
    def task(self) -> HumanTask:
        """The human task row."""
        return self.detail.task

    @property
    def running_clocks(self) -> list[ClockSummary]:
        """Clocks one may still ask more time on."""
        return [c for c in self.clock_summaries if c.running]

    @property
    def may_ask_extension(self) -> bool:
        """Staff who may work on an active task with a running clock, and no request already waiting."""
        waiting = {e.clock for e in self.extensions if e.status == "pending"}
        active = self.task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)
        return active and (self.detail.may_work or self.held_by_me) and \
            any(c.clock not in waiting for c in self.running_clocks)


@dataclass(frozen=True)
class Suggestion:
    """A value a rule proposed for a field of this step, as the page shows it."""

    field: str
    title: str
    value: str  # as shown (a unit's name for a unit field)
    confidence: float | None
    learned: bool = False  # the model learned from dispatchers' decisions said it, not the rules
    alternatives: tuple[str, ...] = ()  # the model's next choices, as shown


def suggestions_of(task: HumanTask, schema: Mapping[str, Any] | None, names: Mapping[str, str]
                   ) -> tuple[list[Suggestion], dict[str, Any]]:
    """The task's suggested values (kept when it was created), shown and as the form's starting values."""
    kept = task.context.get(suggested_values.CONTEXT_KEY) if isinstance(task.context, dict) else None
    properties = (schema or {}).get("properties") or {}
    shown, values = [], {}
    for name, found in (kept or {}).items():
        spec = properties.get(name)
        if not isinstance(spec, Mapping) or not isinstance(found, Mapping):
            continue
        value = found.get("value")
        values[name] = value
        units = spec.get("format") == "department"
        label = names.get(value, str(value)) if units else str(value)
        others = tuple(names.get(o, o) if units else o for o in found.get("alternatives") or ())
        shown.append(Suggestion(name, str(spec.get("title") or name), label, found.get("confidence"),
                                found.get("source") == "learned", others))
    return shown, values


def build(session: Session, ctx: EngineContext, actor: Actor, task_id: int, now: datetime, *,
          values: Mapping[str, Any] | None = None, errors: list[FieldError] | None = None,
          extension_form: ExtensionForm | None = None) -> TaskPage:
    """The task page of a task in the actor's departments (NotFound for any other)."""
    detail = tasks.detail(session, ctx, actor, task_id)
    task = detail.task
    record = case_record(session, actor, task.instance_id)
    parts = ctx.parts(session, record.instance.definition_id)
    names = department_names(session)
    forms = inbox.task_forms(session, task.instance_id)
    about = forms[task.id].about if task.id in forms else detail.department_code
    start_schema = parts.form((parts.catalog.get("start") or {}).get("form"))
    own_data = next((e for e in record.history if e.action == "completed" and e.task_id == task.id), None)
    clocks = task_clocks(session, task.id)
    active = task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)
    mine = task.status == TaskStatus.CLAIMED and task.assignee_id == actor.user_id
    options = [Option(code, name) for code, name in names.items()]
    files = uploads.names(session, task.instance_id)
    handoff = handoff_to(session, task)
    rework = handoff if handoff is not None and handoff.rework else None
    suggestions, suggested = suggestions_of(task, detail.form, names)
    values = values or suggested  # a draft or what was typed wins; else the form starts from the suggestion
    return TaskPage(
        detail=detail,
        record=record,
        about=about,
        departments=names,
        case_entries=entries(start_schema, record.data, names, files),
        reports=department_reports(record, forms, parts.forms, names, files, own=about, skip_task=task.id),
        submitted=report_of(own_data, detail.form, names, files) if own_data else None,
        clocks=clocks,
        clock_summaries=summaries(clocks, now),
        extensions=extension_history(record, task.id),
        fields=form_fields(detail.form, values, errors, options, session),
        extension_form=extension_form or ExtensionForm(),
        may_claim=task.status == TaskStatus.OPEN and detail.may_work,
        may_release=task.status == TaskStatus.CLAIMED and may_unclaim(actor, task),
        may_complete=active and detail.may_work and (task.status == TaskStatus.OPEN or mine),
        held_by_me=mine,
        held_by_other=task.status == TaskStatus.CLAIMED and not mine,
        holder_name=inbox.display_names(session, [task.assignee_id]).get(task.assignee_id) if task.assignee_id
        else None,
        rework=rework,
        rework_unit=_unit_name(session, rework.department_id) if rework else None,
        urgings=urgings_on(session, task.id),
        handover=handover.form_for(session, actor, task),
        suggestions=suggestions,
    )


def _unit_name(session: Session, department_id: int | None) -> str | None:
    """The name of the unit that sent a step back."""
    found = session.get(Department, department_id) if department_id is not None else None
    return found.name if found else None


def form_fields(schema: dict[str, Any] | None, values: Mapping[str, Any] | None, errors: list[FieldError] | None,
                options: list[Option], session: Session | None = None) -> list[Field]:
    """The task's form; file fields only where this installation stores files (else they would be lost)."""
    fields = fields_for(schema, values=dict(values or {}), errors=errors, department_options=options)
    if session is not None:
        _narrow_departments(session, schema, fields)
    files = set(uploads.upload_fields(schema))
    return [f for f in fields if f.widget != "attachments" or f.name in files]


def _narrow_departments(session: Session, schema: dict[str, Any] | None, fields: list[Field]) -> None:
    """A department field whose schema names a kind (``x-department-kind``) offers only units of that kind."""
    properties = (schema or {}).get("properties") or {}
    for found in fields:
        kind = (properties.get(found.name) or {}).get("x-department-kind")
        if found.widget == "select" and isinstance(kind, str):
            found.options = [Option(d.code, d.name) for d in catalog.departments(session, [kind])]


def extension_form(values: Mapping[str, str], errors: list[FieldError]) -> ExtensionForm:
    """The extension form as typed, with the engine's messages per field in the reader's language."""
    return ExtensionForm({k: str(values.get(k, "")) for k in EXTENSION_FIELDS},
                         {e.field: translate(e.template, e.params) for e in errors})


def extension_history(record: CaseRecord, task_id: int) -> list[ExtensionEntry]:
    """The extension requests of one task and their decisions, oldest first."""
    found: dict[int, ExtensionEntry] = {}
    for event in record.history:
        if event.task_id != task_id or not event.action.startswith("extension_"):
            continue
        payload = event.payload
        request_id = int(payload.get("request_id") or 0)
        if event.action == "extension_requested":
            found[request_id] = ExtensionEntry(request_id, str(payload.get("clock", "")),
                                               str(payload.get("extension", "")), str(payload.get("reason", "")),
                                               event.at, event.actor_name, "pending")
        elif request_id in found:
            before = found[request_id]
            found[request_id] = ExtensionEntry(
                before.request_id, before.clock, before.extension, before.reason, before.requested_at,
                before.requested_by, "approved" if event.action == "extension_approved" else "rejected",
                event.actor_name, payload.get("note"), _instant(payload.get("new_deadline")))
    return list(found.values())


def _instant(value: object) -> datetime | None:
    """An ISO instant from an audit payload, if it holds one."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
