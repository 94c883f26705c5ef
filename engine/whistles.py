"""The street's side of a whistle: blowing one, its list, and each summoned department's progress.

Lists and boards read ``process_instance`` columns and ``human_task`` rows only; no
workflow is ever loaded to show where a whistle stands. A board's stages come from the
catalog of the case's definition version (engine.stages), not from element ids.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine import attachments, catalog, instances, stages, start_rules
from engine.access import may_work_on
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import FieldError, NotFound
from engine.forms import validate_data
from engine.models import (
    Attachment,
    Department,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    TaskEvent,
    TaskStatus,
    User,
)
from engine.models.tasks import ACTIVE_STATUSES

# The street's rules live with the other start rules; re-exported for the street's pages.
from engine.whistle_rules import PROCESS_KEY, communities, street_seats, summonable  # noqa: F401
from engine.withdrawal import WithdrawalNote, withdrawal_note


def start_form(session: Session, ctx: EngineContext) -> dict[str, Any]:
    """The start form schema of the newest whistle process; NotFound when none is deployed."""
    definition_id = session.execute(
        select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS_KEY)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).scalar_one_or_none()
    if definition_id is None:
        raise NotFound("Process {key} is not deployed.", key=PROCESS_KEY)
    return form_of(session, ctx, definition_id)


def form_of(session: Session, ctx: EngineContext, definition_id: int) -> dict[str, Any]:
    """The start form schema of one definition version (empty when it has none)."""
    parts = ctx.parts(session, definition_id)
    return parts.form((parts.catalog.get("start") or {}).get("form")) or {}


def suggested(session: Session, category_code: str | None) -> list[str]:
    """The departments a category suggests (lead owner first); none for an unknown category."""
    if not category_code:
        return []
    try:
        return catalog.category(session, category_code).suggested_departments
    except NotFound:
        return []


def check(session: Session, ctx: EngineContext, actor: Actor, data: Mapping[str, Any]) -> list[FieldError]:
    """Every problem with a whistle's start data, as starting it would find them (for a page to show)."""
    form = start_form(session, ctx)
    return (validate_data(form, dict(data), department_exists=ctx.directory(session).exists)
            + start_rules.check(session, actor, PROCESS_KEY, form, data))


def blow(session: Session, ctx: EngineContext, actor: Actor, data: Mapping[str, Any], *,
         now: datetime, confirmed: bool = False, linked_from: int | None = None) -> ProcessInstance:
    """Start a whistle for the actor's street; the start checks the street's rules and takes the uploads.

    A suspected duplicate raises NeedsConfirmation listing the earlier cases, unless ``confirmed``;
    ``linked_from`` is the case the whistle is blown from (it must offer it).
    """
    return instances.start(session, ctx, actor, PROCESS_KEY, data, now=now, confirmed=confirmed,
                           linked_from=linked_from)


@dataclass(frozen=True)
class WhistleRow:
    """One whistle of the street's list."""

    id: int
    title: str
    status: InstanceStatus
    created_at: datetime
    completed_at: datetime | None
    street: str
    whistle_type: str | None
    category: str | None
    community: str | None
    departments: list[str]
    departments_done: int  # rated, so finished
    waiting_for_street: int  # verifications and ratings the street has to do
    summoned: int = 0  # departments summoned now: at the start, re-summoned (改派) or added, less those refused


def street_whistles(session: Session, actor: Actor, *, limit: int = 50,
                    offset: int = 0) -> tuple[list[WhistleRow], bool]:
    """Whistles blown by the actor's streets, newest first, one page at a time."""
    street_ids = [s.department_id for s in street_seats(session, actor)]
    if not street_ids:
        return [], False
    origin = aliased(Department)
    first, last, answers = _steps(session)
    done = (select(func.count()).where(HumanTask.instance_id == ProcessInstance.id,
                                       HumanTask.element_id.in_(last),
                                       HumanTask.status == TaskStatus.COMPLETED)
            .correlate(ProcessInstance).scalar_subquery())
    # Every summons opens a first stage (签收: at the start, 改派, 追加召集); every decided 退单 closed
    # an answer of the street's (改派) that took one back.
    summoned = (select(func.count()).where(HumanTask.instance_id == ProcessInstance.id,
                                           HumanTask.element_id.in_(first)).correlate(ProcessInstance)
                .scalar_subquery()
                - select(func.count()).where(HumanTask.instance_id == ProcessInstance.id,
                                             HumanTask.element_id.in_(answers),
                                             HumanTask.status == TaskStatus.COMPLETED)
                .correlate(ProcessInstance).scalar_subquery())
    waiting = (select(func.count()).where(HumanTask.instance_id == ProcessInstance.id,
                                          HumanTask.department_id.in_(street_ids),
                                          HumanTask.status.in_(ACTIVE_STATUSES))
               .correlate(ProcessInstance).scalar_subquery())
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.status, ProcessInstance.created_at,
               ProcessInstance.completed_at, ProcessInstance.case_data, origin.code, done, waiting, summoned)
        .join(origin, origin.id == ProcessInstance.origin_department_id)
        .where(ProcessInstance.origin_department_id.in_(street_ids), ProcessInstance.process_key == PROCESS_KEY)
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
        .limit(limit + 1).offset(offset)
    ).all()
    found = [WhistleRow(r[0], r[1], r[2], r[3], r[4], r[6], _text(r[5], "whistle_type"), _text(r[5], "category"),
                        _text(r[5], "community"), _codes(r[5]), r[7] or 0, r[8] or 0, r[9] or 0) for r in rows]
    return found[:limit], len(found) > limit


def _steps(session: Session) -> tuple[set[str], set[str], set[str]]:
    """Over every deployed version: the first stages (签收), the last (评价) and the street's answers (改派)."""
    first: set[str] = set()
    last: set[str] = set()
    answers: set[str] = set()
    for definition_id, sha256 in session.execute(
            select(ProcessDefinition.id, ProcessDefinition.sha256).where(ProcessDefinition.key == PROCESS_KEY)):
        fan_out = _fan_out(session, definition_id, sha256)
        if fan_out.get("stages"):
            first.add(fan_out["stages"][0]["element"])
            last.add(fan_out["stages"][-1]["element"])
        answers |= _origin_answers(fan_out)
    return first, last, answers


def _origin_tasks(fan_out: Mapping[str, Any]) -> set[str]:
    """The branch's tasks whose lane's role sits where the case was started (the street's: 核验, 评价, 改派)."""
    origin_scope = fan_out.get("origin_scope")
    return {t["element"] for t in fan_out.get("tasks", []) if origin_scope and t["scope"] == origin_scope}


def _origin_answers(fan_out: Mapping[str, Any]) -> set[str]:
    """The origin's tasks in a branch that are no stage: how it answers a unit's 退单 (改派)."""
    return _origin_tasks(fan_out) - {s["element"] for s in fan_out.get("stages", [])}


def _text(data: Mapping[str, Any] | None, key: str) -> str | None:
    value = (data or {}).get(key)
    return value if isinstance(value, str) else None


def _codes(data: Mapping[str, Any] | None) -> list[str]:
    value = (data or {}).get("departments")
    return [c for c in value if isinstance(c, str)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Stage:
    """Where one department stands on one stage: done, running (with its task) or not reached."""

    key: str
    state: str  # done | running | waiting | stopped (its task was cancelled, e.g. the case withdrawn) | refused (退单)
    task_id: int | None = None
    started_at: datetime | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    holder: str | None = None  # who has the running task in hand
    rounds: int = 0  # how many times the stage ran (handling again after a send-back)
    label: str = ""  # the task's name in the BPMN


@dataclass(frozen=True)
class StageColumn:
    """One stage of the board's columns: its key and the name of its task."""

    key: str
    label: str


@dataclass(frozen=True)
class StreetTask:
    """An open verification or rating the street does for one department."""

    id: int
    element_id: str
    name: str
    status: TaskStatus
    may_work: bool


@dataclass(frozen=True)
class Refusal:
    """A department refused the whistle (退单): why, who, and what the street did (改派 or 不再召集)."""

    reason: str
    by: str | None
    at: datetime | None
    resummoned: str | None = None  # the department summoned instead
    dropped: str | None = None  # why the street summoned none (不再召集)

    @property
    def pending(self) -> bool:
        """The street has not decided yet."""
        return self.resummoned is None and self.dropped is None


@dataclass(frozen=True)
class DepartmentProgress:
    """One summoned department's row of the board."""

    code: str
    name: str
    stages: list[Stage]
    street_tasks: list[StreetTask] = field(default_factory=list)
    refusal: Refusal | None = None  # it refused (退单) and has not been summoned again since
    added: str | None = None  # summoned while the whistle ran (追加召集), with this reason
    went_back: int = 0  # times the flow returned to an earlier stage (a send-back for rework)

    @property
    def running(self) -> Stage | None:
        """The stage running now, if any."""
        return next((s for s in self.stages if s.state == "running"), None)

    @property
    def sent_back(self) -> int:
        """How many times the street sent the result back for rework."""
        return self.went_back


@dataclass(frozen=True)
class Board:
    """A whistle with every summoned department's progress."""

    id: int
    definition_id: int
    title: str
    status: InstanceStatus
    created_at: datetime
    completed_at: datetime | None
    case_data: dict[str, Any]
    street: str
    street_name: str
    started_by: str | None
    departments: list[DepartmentProgress]
    attachments: list[Attachment]
    withdrawn: WithdrawalNote | None = None
    stages: list[StageColumn] = field(default_factory=list)  # the columns, in order

    @property
    def running_task_ids(self) -> list[int]:
        """The tasks of every running stage (for their clocks)."""
        return [s.task_id for d in self.departments for s in d.stages if s.state == "running" and s.task_id]


@dataclass(frozen=True)
class _Task:
    row: HumanTask
    department: str | None
    completed_by: str | None
    assignee: str | None


def board(session: Session, actor: Actor, instance_id: int) -> Board:
    """The board of a whistle blown by one of the actor's streets; NotFound for every other case."""
    street_ids = [s.department_id for s in street_seats(session, actor)]
    origin = aliased(Department)
    found = session.execute(
        select(ProcessInstance.id, ProcessInstance.definition_id, ProcessInstance.title, ProcessInstance.status,
               ProcessInstance.created_at, ProcessInstance.completed_at, ProcessInstance.case_data,
               origin.code, origin.name, User.display_name, ProcessDefinition.sha256)
        .join(origin, origin.id == ProcessInstance.origin_department_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(User, User.id == ProcessInstance.started_by_id)
        .where(ProcessInstance.id == instance_id, ProcessInstance.process_key == PROCESS_KEY,
               ProcessInstance.origin_department_id.in_(street_ids))
    ).one_or_none()
    if found is None:
        raise NotFound("Case {id} not found.", id=instance_id)
    data = dict(found[6] or {})
    fan_out = _fan_out(session, found[1], found[10])
    by_department = _tasks_by_department(session, instance_id, fan_out)
    # Summoned at the start, then those re-summoned (改派) or added (追加召集) while it ran, in the order they came.
    codes = list(dict.fromkeys([*_codes(data), *by_department]))
    names = {c: n for c, n in session.execute(
        select(Department.code, Department.name).where(Department.code.in_(codes)))}
    answers, added = _answers(session, instance_id)
    rows = [_progress(actor, code, names.get(code, code), by_department.get(code, []), answers, added.get(code),
                      fan_out) for code in codes]
    withdrawn = withdrawal_note(session, instance_id) if found[3] == InstanceStatus.CANCELLED else None
    return Board(found[0], found[1], found[2], found[3], found[4], found[5], data, found[7], found[8], found[9],
                 rows, attachments.of_instance(session, instance_id), withdrawn,
                 [StageColumn(s["key"], s["name"]) for s in fan_out.get("stages", [])])


def _fan_out(session: Session, definition_id: int, sha256: str) -> dict[str, Any]:
    """The fan-out whose branches the board shows (the first of the version; none: an empty board)."""
    found = stages.of_definition(session, definition_id, sha256)
    return found[0] if found else {}


def _tasks_by_department(session: Session, instance_id: int, fan_out: Mapping[str, Any]) -> dict[str, list[_Task]]:
    """The case's branch tasks grouped by the summoned department they are about, oldest first."""
    completer, holder = aliased(User), aliased(User)
    rows = session.execute(
        select(HumanTask, Department.code, completer.display_name, holder.display_name)
        .outerjoin(Department, Department.id == HumanTask.department_id)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .outerjoin(holder, holder.id == HumanTask.assignee_id)
        .where(HumanTask.instance_id == instance_id,
               HumanTask.element_id.in_([t["element"] for t in fan_out.get("tasks", [])]))
        .order_by(HumanTask.id)
    ).all()
    grouped: dict[str, list[_Task]] = {}
    item = fan_out.get("item")
    for task, code, done_by, assignee in rows:
        # Tasks held by the case's origin (verify, rate) sit in it; which unit they are about is the
        # branch's item in their context. The unit's own tasks carry it too, and sit in that unit.
        about = task.context.get(item) if isinstance(task.context, dict) and item else None
        key = about if isinstance(about, str) else code
        if key:
            grouped.setdefault(key, []).append(_Task(task, code, done_by, assignee))
    return grouped


def _answers(session: Session, instance_id: int) -> tuple[dict[int, dict[str, Any]], dict[str, str]]:
    """What each completed step of the case answered (by task id), and the reason each added department was added."""
    answers: dict[int, dict[str, Any]] = {}
    added: dict[str, str] = {}
    for task_id, action, payload in session.execute(
        select(TaskEvent.task_id, TaskEvent.action, TaskEvent.payload)
        .where(TaskEvent.instance_id == instance_id, TaskEvent.action.in_(["completed", "department_added"]))
        .order_by(TaskEvent.id)
    ):
        body = payload if isinstance(payload, dict) else {}
        if action == "completed" and task_id is not None and isinstance(body.get("data"), dict):
            answers[task_id] = body["data"]
        elif action == "department_added" and isinstance(body.get("department"), str):
            added[body["department"]] = str(body.get("reason") or "")
    return answers, added


def _refusal(tasks: list[_Task], answers: Mapping[int, Mapping[str, Any]],
             fan_out: Mapping[str, Any]) -> Refusal | None:
    """The department's refusal, if its last first stage (签收) was a 退单 (a later summons of it starts a new one).

    The street's answer to it (改派) is the street's last task in the branch after it that is no stage.
    """
    first = fan_out["stages"][0]["element"] if fan_out.get("stages") else None
    signs = [t for t in tasks if t.row.element_id == first]
    if not signs or answers.get(signs[-1].row.id, {}).get("decision") != "refuse":
        return None
    sign = signs[-1]
    replies = _origin_answers(fan_out)
    reassign = next((t for t in reversed(tasks) if t.row.element_id in replies and t.row.id > sign.row.id), None)
    decided = answers.get(reassign.row.id, {}) if reassign is not None else {}
    resummoned = decided.get("department") if decided.get("resummon") is True else None
    dropped = decided.get("drop_reason") if decided.get("resummon") is False else None
    return Refusal(str(answers[sign.row.id].get("refuse_reason") or ""), sign.completed_by, sign.row.completed_at,
                   resummoned if isinstance(resummoned, str) else None, dropped if isinstance(dropped, str) else None)


def _progress(actor: Actor, code: str, name: str, tasks: list[_Task],
              answers: Mapping[int, Mapping[str, Any]] | None = None, added: str | None = None,
              fan_out: Mapping[str, Any] | None = None) -> DepartmentProgress:
    """A department's stages from its task rows: before the running stage done, after it not reached."""
    columns = [(s["key"], s["element"], s["name"]) for s in (fan_out or {}).get("stages", [])]
    stage_of = {element: n for n, (_key, element, _name) in enumerate(columns)}
    refusal = _refusal(tasks, answers or {}, fan_out or {})
    active = [t for t in tasks if t.row.status in ACTIVE_STATUSES]
    current = min((stage_of[t.row.element_id] for t in active if t.row.element_id in stage_of), default=None)
    stages = []
    for n, (key, element, label) in enumerate(columns):
        mine = [t for t in tasks if t.row.element_id == element and t.row.status != TaskStatus.CANCELLED]
        stopped = [t for t in tasks if t.row.element_id == element and t.row.status == TaskStatus.CANCELLED]
        done = [t for t in mine if t.row.status == TaskStatus.COMPLETED]
        running = [t for t in mine if t.row.status in ACTIVE_STATUSES]
        if running and n == current:
            task = running[-1]
            stages.append(Stage(key, "running", task.row.id, task.row.created_at, holder=task.assignee,
                                rounds=len(mine), label=label))
        elif done and (current is None or n < current):
            task = done[-1]
            stages.append(Stage(key, "done", task.row.id, task.row.created_at, task.row.completed_at,
                                task.completed_by, rounds=len(mine), label=label))
        elif stopped and (not mine or stopped[-1].row.id > mine[-1].row.id):
            # Its last task was cancelled (the case was withdrawn) and nothing took its place.
            task = stopped[-1]
            stages.append(Stage(key, "stopped", task.row.id, task.row.created_at, task.row.completed_at,
                                rounds=len(mine), label=label))
        else:
            stages.append(Stage(key, "waiting", rounds=len(mine), label=label))
    if refusal is not None and stages:  # its sign was a 退单: nothing of it was signed for
        stages[0] = Stage(stages[0].key, "refused", stages[0].task_id, stages[0].started_at, stages[0].done_at,
                          stages[0].done_by, rounds=stages[0].rounds, label=stages[0].label)
    # The origin's tasks about this unit (核验, 评价, 改派): those whose lane's role sits where the case started.
    origin_tasks = _origin_tasks(fan_out or {})
    street_tasks = [StreetTask(t.row.id, t.row.element_id, t.row.name, t.row.status, may_work_on(actor, t.row))
                    for t in active if t.row.element_id in origin_tasks and t.row.department_id in actor.department_ids]
    return DepartmentProgress(code, name, stages, street_tasks, refusal, added, _went_back(tasks, stage_of))


def _went_back(tasks: list[_Task], stage_of: Mapping[str, int]) -> int:
    """How often a stage's task came after a later stage's (the flow looped back, e.g. 退回重办)."""
    order = [stage_of[t.row.element_id] for t in tasks
             if t.row.element_id in stage_of and t.row.status != TaskStatus.CANCELLED]
    return sum(1 for before, after in zip(order, order[1:], strict=False) if after < before)
