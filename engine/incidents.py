"""Opening, bumping and resolving incidents: the one place a stuck case is written down.

Kinds: ``stuck`` (a running case waits for nothing), ``step_failed`` (a step failed at run
time: an expression, a bound), ``timer_failed`` (the sweep could not fire its timers),
``timer_unreadable`` (a timer whose due instant cannot be read), ``deadline_failed`` (a ladder
rung abandoned after its attempts). docs/operating.md explains each and how it resolves.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.actors import Actor
from engine.context import EngineContext
from engine.database import AFTER_ROLLBACK
from engine.errors import NotFound, Text
from engine.hooks import HookEvent, Listeners, TaskHook
from engine.models import Incident, IncidentStatus, InstanceStatus, ProcessDefinition, ProcessInstance
from engine.roles import Capability
from engine.spiff import WorkflowRun

log = logging.getLogger(__name__)
DETAIL_LENGTH = 2000

STUCK = "stuck"
STEP_FAILED = "step_failed"
TIMER_FAILED = "timer_failed"
TIMER_UNREADABLE = "timer_unreadable"
DEADLINE_FAILED = "deadline_failed"
KINDS = (STUCK, STEP_FAILED, TIMER_FAILED, TIMER_UNREADABLE, DEADLINE_FAILED)

# The reason in words, as English msgids (pages and the API translate them).
TEMPLATES = {
    STUCK: "The process has no task, timer or awaited message after {element}; it cannot go on.",
    STEP_FAILED: "The step {element} failed: {reason}",
    TIMER_FAILED: "The timer at {element} could not fire: {reason}. It is no longer retried until someone retries it.",
    TIMER_UNREADABLE: "The timer at {element} has a value that cannot be read ({value}); it will never fire.",
    DEADLINE_FAILED: "A deadline of the task {task} failed {attempts} times and was abandoned: {reason}",
}


def raise_incident(
    session: Session,
    *,
    instance_id: int,
    kind: str,
    template: str,
    now: datetime,
    params: Mapping[str, Any] | None = None,
    element_id: str | None = None,
    detail: str | None = None,
    subject: str | None = None,
    listeners: Listeners | None = None,
) -> tuple[Incident, bool]:
    """Open an incident, or count one more occurrence of the same open one; returns (row, opened).

    ``listeners`` hear INCIDENT_OPENED when a new one opens (the designer's notice).
    """
    stored = storable(dict(params or {}))
    existing = session.execute(
        select(Incident).where(
            Incident.instance_id == instance_id,
            Incident.status == IncidentStatus.OPEN,
            Incident.kind == kind,
            Incident.element_id.is_(None) if element_id is None else Incident.element_id == element_id,
            Incident.subject.is_(None) if subject is None else Incident.subject == subject,
        ).limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        existing.occurrences += 1
        existing.last_seen_at = now
        existing.template, existing.params = template, stored  # the latest reason is the one to read
        if detail:
            existing.detail = detail[:DETAIL_LENGTH]
        return existing, False
    incident = Incident(
        instance_id=instance_id, kind=kind, element_id=element_id, template=template,
        params=stored, detail=detail[:DETAIL_LENGTH] if detail else None, subject=subject,
        status=IncidentStatus.OPEN, occurrences=1, created_at=now, last_seen_at=now,
    )
    session.add(incident)
    session.flush()
    audit.record(session, "incident_opened", at=now, instance_id=instance_id,
                 payload={"incident": incident.id, "kind": kind, "element": element_id,
                          "reason": render_plain(template, stored)[:500]})
    if listeners is not None:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None:
            listeners.emit(session, HookEvent(TaskHook.INCIDENT_OPENED, instance, None, now,
                                              incident_id=incident.id))
    return incident, True


def resolve(
    session: Session,
    instance_id: int,
    *,
    now: datetime,
    resolution: str,
    actor_id: int | None = None,
    kinds: Iterable[str] | None = None,
) -> int:
    """Mark the case's open incidents (of ``kinds``, or all) resolved; returns how many."""
    query = select(Incident).where(Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN)
    if kinds is not None:
        query = query.where(Incident.kind.in_(list(kinds)))
    return _close(session, list(session.execute(query).scalars()), now=now, resolution=resolution,
                  actor_id=actor_id)


def _close(session: Session, rows: list[Incident], *, now: datetime, resolution: str,
           actor_id: int | None = None) -> int:
    for row in rows:
        row.status = IncidentStatus.RESOLVED
        row.resolved_at = now
        row.resolved_by_id = actor_id
        row.resolution = resolution[:1000]
        audit.record(session, "incident_resolved", at=now, instance_id=row.instance_id, actor_id=actor_id,
                     payload={"incident": row.id, "kind": row.kind, "resolution": row.resolution})
    return len(rows)


def open_for(session: Session, instance_id: int) -> list[Incident]:
    """The case's open incidents, oldest first."""
    return list(session.execute(
        select(Incident).where(Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN)
        .order_by(Incident.id)
    ).scalars())


# -- noticing a case that moved, or that cannot ----------------------------------------------


def after_save(session: Session, instance: ProcessInstance, run: WorkflowRun, element_names: Mapping[str, Any],
               now: datetime, listeners: Listeners | None = None, known_open: int | None = None) -> int:
    """Open what a running case shows: ``stuck`` when it waits for nothing, ``timer_unreadable`` per
    timer whose instant cannot be read; resolve the ``stuck`` and ``step_failed`` of a case that moved,
    and every incident of a case that ended.

    ``element_names`` are the catalog's elements; ``known_open`` is how many incidents the case had
    when its row was locked (None: unknown, look). Returns how many incidents it opened.
    """
    if run.completed:
        # Nothing is left to repair once the case has ended.
        resolve(session, instance.id, now=now, resolution="the case ended")
        return 0
    opened = 0
    for element, value in run.unreadable_timers():
        log.warning("case %s: the timer at %s cannot be read (%s)", instance.id, element, value)
        _row, new = raise_incident(
            session, instance_id=instance.id, kind=TIMER_UNREADABLE, template=TEMPLATES[TIMER_UNREADABLE],
            now=now, params={"element": shown_elements([element] if element else [], element_names, run) or "-",
                             "value": value},
            element_id=element, listeners=listeners)
        opened += new
    if not run.waits_for_something():
        elements = run.stuck_at()
        _row, new = raise_incident(
            session, instance_id=instance.id, kind=STUCK, template=TEMPLATES[STUCK], now=now,
            params={"element": shown_elements(elements, element_names, run) or "-"},
            element_id=elements[0] if elements else None, listeners=listeners)
        return opened + new
    if known_open == 0:  # counted with the row lock: nothing to resolve, no query
        return opened
    rows = [row for row in open_for(session, instance.id) if row.kind in (STUCK, STEP_FAILED)]
    if rows:
        states = run.element_states()
        moved = [row for row in rows if row.kind == STUCK or _passed(row, states)]
        _close(session, moved, now=now, resolution="the case moved on")
    return opened


def _passed(row: Incident, states: Mapping[str, Mapping[str, int]]) -> bool:
    """Whether the failed element has since run once more than when it failed."""
    done = states.get(row.element_id or "", {}).get("completed", 0)
    return done > int((row.params or {}).get("passed", 0))


@dataclass
class NotedFailure:
    """A failed step waiting to be written as a ``step_failed`` incident (called with a fresh session)."""

    instance_id: int
    element: str | None
    params: dict[str, Any]
    detail: str
    now: datetime
    listeners: Listeners | None

    def __call__(self, session: Session) -> None:
        """Write it (Database.transaction calls this after the caller's rollback)."""
        raise_incident(session, instance_id=self.instance_id, kind=STEP_FAILED, template=TEMPLATES[STEP_FAILED],
                       now=self.now, params=self.params, element_id=self.element, detail=self.detail,
                       listeners=self.listeners)


def note_failure(session: Session, instance_id: int, *, element: str | None, reason: Any, run: WorkflowRun | None,
                 element_names: Mapping[str, Any], now: datetime, listeners: Listeners | None) -> None:
    """Remember a failed step so it is written as a ``step_failed`` incident after the rollback.

    The caller's transaction rolls back (the user's action did not happen), so the incident is
    written by :class:`engine.database.Database` in a transaction of its own. Any failure after
    the form was accepted counts: the data was what the form allows, so the model must cope with it.
    """
    passed = run.element_states().get(element or "", {}).get("completed", 0) if run is not None else 0
    params = {"element": shown_elements([element] if element else [], element_names, run) or "-",
              "reason": reason, "passed": passed}
    session.info.setdefault(AFTER_ROLLBACK, []).append(
        NotedFailure(instance_id, element, params, str(reason), now, listeners))


def take_noted(session: Session) -> list[NotedFailure]:
    """Forget (and return) the failures noted on ``session``: for callers that record them themselves."""
    return [n for n in session.info.pop(AFTER_ROLLBACK, []) or [] if isinstance(n, NotedFailure)]


def shown_elements(elements: list[str], element_names: Mapping[str, Any], run: WorkflowRun | None = None) -> str:
    """Elements as people know them: 「名称」 (from the catalog, else the model), the id when unnamed."""
    shown = []
    for element in elements[:3]:
        name = (element_names.get(element) or {}).get("name") or (run.element_name(element) if run else None)
        shown.append(f"「{name or element}」")
    return "、".join(shown)


# -- parameters that hold translatable text ----------------------------------------------------


def storable(value: Any) -> Any:
    """``value`` as JSON: a :class:`Text` becomes ``{"$text": template, "params": ...}``."""
    if isinstance(value, Text):
        return {"$text": value.template, "params": storable(dict(value.params))}
    if isinstance(value, Mapping):
        return {str(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def reason_params(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored parameters with their texts as :class:`Text` again, ready to translate."""
    return {key: _text(value) for key, value in (stored or {}).items()}


def _text(value: Any) -> Any:
    if isinstance(value, Mapping) and "$text" in value:
        return Text(str(value["$text"]), reason_params(value.get("params")))
    return value


def render_plain(template: str, stored: Mapping[str, Any] | None) -> str:
    """The reason in English, for logs and the history."""
    from engine.errors import render

    return render(template, {k: str(v) for k, v in reason_params(stored).items()})


# -- reading them ------------------------------------------------------------------------------


def may_see(actor: Actor) -> bool:
    """Designers and administrators see incidents (they fix models and repair cases)."""
    return actor.can(Capability.DESIGN, Capability.ADMINISTER)


@dataclass(frozen=True)
class IncidentRow:
    """An incident with the case and process it belongs to, as lists show it."""

    incident: Incident
    case_title: str
    process_key: str
    process_name: str
    version: int


@dataclass(frozen=True)
class IncidentFilter:
    """What a list of incidents is narrowed to; None means any."""

    status: IncidentStatus | None = IncidentStatus.OPEN
    kind: str | None = None
    process_key: str | None = None
    instance_id: int | None = None


def _filtered(query: Any, where: IncidentFilter) -> Any:
    if where.status is not None:
        query = query.where(Incident.status == where.status)
    if where.kind is not None:
        query = query.where(Incident.kind == where.kind)
    if where.process_key is not None:
        query = query.where(ProcessInstance.process_key == where.process_key)
    if where.instance_id is not None:
        query = query.where(Incident.instance_id == where.instance_id)
    return query


def listing(session: Session, where: IncidentFilter, *, limit: int, offset: int) -> tuple[list[IncidentRow], int]:
    """One page of incidents, newest first, and how many match in all."""
    base = (select(Incident, ProcessInstance.title, ProcessInstance.process_key, ProcessDefinition.name,
                   ProcessDefinition.version)
            .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id))
    rows = session.execute(_filtered(base, where).order_by(Incident.last_seen_at.desc(), Incident.id.desc())
                           .limit(limit).offset(offset)).all()
    counted = _filtered(
        select(func.count(Incident.id)).join(ProcessInstance, ProcessInstance.id == Incident.instance_id), where)
    total = session.execute(counted).scalar_one()
    return [IncidentRow(*row) for row in rows], int(total)


def get(session: Session, incident_id: int) -> IncidentRow:
    """One incident with its case; NotFound when there is none."""
    row = session.execute(
        select(Incident, ProcessInstance.title, ProcessInstance.process_key, ProcessDefinition.name,
               ProcessDefinition.version)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(Incident.id == incident_id)
    ).one_or_none()
    if row is None:
        raise NotFound("Incident {id} not found.", id=incident_id)
    return IncidentRow(*row)


def open_count(session: Session) -> int:
    """How many incidents are open (the landing tab's count)."""
    return int(session.execute(select(func.count(Incident.id)).where(Incident.status == IncidentStatus.OPEN))
               .scalar_one())


def process_keys(session: Session) -> list[str]:
    """Processes that have incidents, for the page's filter."""
    return list(session.execute(
        select(ProcessInstance.process_key).join(Incident, Incident.instance_id == ProcessInstance.id)
        .distinct().order_by(ProcessInstance.process_key)
    ).scalars())


# -- the sweep's periodic look for cases nothing can move ------------------------------------


def stuck_candidates(session: Session, *, limit: int) -> list[int]:
    """Running cases with no open task, no timer and no open incident (cheap: no workflow is loaded)."""
    from engine.models import HumanTask, TaskStatus

    active_task = select(HumanTask.id).where(HumanTask.instance_id == ProcessInstance.id,
                                             HumanTask.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]))
    open_incident = select(Incident.id).where(Incident.instance_id == ProcessInstance.id,
                                              Incident.status == IncidentStatus.OPEN)
    return list(session.execute(
        select(ProcessInstance.id)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at.is_(None),
               ~active_task.exists(), ~open_incident.exists())
        .order_by(ProcessInstance.id).limit(limit)
    ).scalars())


def check_case(session: Session, ctx: EngineContext, instance_id: int, now: datetime) -> int:
    """Load one candidate's workflow and open what it shows (stuck, unreadable timers); how many opened."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return 0
    parts = ctx.parts(session, instance.definition_id)
    run = WorkflowRun.load(ctx.spec_objects(session, instance.definition_id), instance.state,
                           ctx.evaluator, ctx.allow_script_tasks)
    return after_save(session, instance, run, parts.catalog.get("elements", {}), now, ctx.listeners)
