"""Starting instances and the one path every change to an instance takes.

lock row -> load workflow -> fire due timers -> apply the action -> run the engine ->
store state -> sync ``human_task`` -> set ``next_timer_at`` -> audit. The caller owns
the session and commits; any error leaves the database as it was.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, with_expression
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, case_links, definitions, incidents, message_senders, start_roles, start_rules
from engine.actors import Actor, Seat
from engine.assignment import DepartmentDirectory
from engine.context import DefinitionParts, EngineContext
from engine.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NeedsConfirmation,
    NotFound,
    ProcessFailed,
    StaleRevision,
)
from engine.forms import validate_data
from engine.hooks import HookEvent, TaskHook
from engine.models import HumanTask, Incident, IncidentStatus, InstanceStatus, ProcessInstance
from engine.roles import role_book
from engine.spiff import EngineRunError, WorkflowRun
from engine.task_sync import join_case, sync_human_tasks
from engine.unit_expressions import ExpressionInvalid, parse
from engine.whistle_rules import RESERVED_MESSAGES

TITLE_LENGTH = 200


@dataclass
class Mutation:
    """A locked instance with its loaded workflow, open for one change."""

    instance: ProcessInstance
    parts: DefinitionParts
    run: WorkflowRun
    directory: DepartmentDirectory
    # Open incidents counted with the row lock; a save with none skips looking for ones to resolve.
    open_incidents: int | None = None


def start(
    session: Session,
    ctx: EngineContext,
    actor: Actor,
    process_key: str,
    data: Mapping[str, Any],
    *,
    now: datetime,
    business_key: str | None = None,
    confirmed: bool = False,
    linked_from: object = None,
) -> ProcessInstance:
    """Start the newest version of ``process_key`` with start-form ``data`` on behalf of ``actor``.

    Valid data a process's warnings object to (a suspected duplicate) raises NeedsConfirmation
    unless ``confirmed``. With ``linked_from``, the case is started from that one, which must
    offer it (engine/case_links.py).
    """
    definition = definitions.get(session, process_key)
    if linked_from is not None:
        case_links.check(session, ctx, actor, linked_from, definition.key)
    parts = ctx.parts(session, definition.id)
    directory = ctx.directory(session)
    start_info = parts.catalog.get("start") or {}
    payload = dict(data) if isinstance(data, Mapping) else data
    form = parts.form(start_info.get("form"))
    errors = validate_data(form, payload, department_exists=directory.exists)
    if isinstance(payload, dict):
        # The business rules: the same for every entry point, so none of them can skip one.
        errors += start_rules.check(session, actor, definition.key, form, payload)
    if errors:
        raise InvalidInput("The form has errors.", errors)
    if not confirmed and isinstance(payload, dict):
        start_element = parts.catalog.get("elements", {}).get(start_info.get("element")) or {}
        doubts = start_rules.warnings(session, actor, definition.key, payload, now=now,
                                      duplicate_days=ctx.duplicate_days,
                                      start_properties=start_element.get("properties") or {})
        if doubts:
            raise NeedsConfirmation("This may repeat an earlier case; confirm to start it anyway.", doubts)
    origin_id = _origin(session, actor, start_info, payload, parts)
    with _process_errors():
        run = WorkflowRun.new(ctx.spec_objects(session, definition.id), ctx.evaluator, ctx.allow_script_tasks)
        run.learn_from(ctx.learned.for_process(session, definition.key)).start(payload, now)
    instance = ProcessInstance(
        definition_id=definition.id,
        process_key=definition.key,
        business_key=business_key,
        title=_title(payload, parts),
        status=InstanceStatus.RUNNING,
        state=run.dump(),
        next_timer_at=run.next_timer_at(),
        origin_department_id=origin_id,
        started_by_id=actor.user_id,
        linked_from_id=linked_from,
        case_data=payload,
        created_at=now,
        updated_at=now,
    )
    session.add(instance)
    session.flush()
    if origin_id is not None:
        join_case(session, instance.id, origin_id)
    start_rules.after_start(session, actor, form, payload, instance.id)
    audit.record(session, "started", at=now, instance_id=instance.id, actor_id=actor.user_id,
                 department_id=origin_id,
                 payload={"process": definition.key, "version": definition.version, "data": payload,
                          **({"linked_from": linked_from} if linked_from is not None else {})})
    if linked_from is not None:  # the source's history says what was started from it, and by whom
        audit.record(session, "linked", at=now, instance_id=linked_from, actor_id=actor.user_id,
                     department_id=origin_id, payload={"process": definition.key, "case": instance.id})
    sync_human_tasks(session, ctx, instance, parts, run, now, directory)
    _finish_if_done(session, ctx, instance, run, now)
    _watch(session, ctx, instance, parts, run, now, known_open=0)
    session.flush()
    return instance


def _watch(session: Session, ctx: EngineContext, instance: ProcessInstance, parts: DefinitionParts,
           run: WorkflowRun, now: datetime, *, known_open: int | None = None) -> None:
    """A running case that now waits for nothing gets a ``stuck`` incident; one that moved loses it."""
    if instance.status in (InstanceStatus.RUNNING, InstanceStatus.COMPLETED):
        incidents.after_save(session, instance, run, parts.catalog.get("elements", {}), now, ctx.listeners,
                             known_open=known_open)


def _origin(session: Session, actor: Actor, start_info: Mapping[str, Any], payload: dict[str, Any],
            parts: DefinitionParts) -> int | None:
    """Check the actor may start the process; fill in the unit they start it for.

    The start event's lane names the role that starts (and ``also_started_by`` may add others); when
    the lane's assignment expression is a plain variable (e.g. ``street``), a seat of the lane's role
    fills it in. A seat of an added role does not: its unit is of another kind than the variable names.
    """
    if not start_info.get("role"):
        return actor.seats[0].department_id if actor.seats else None
    code = start_info["role"]
    book = role_book(session)
    role = book.get(code)
    label = role.label if role else code
    seats = _start_seats(actor, start_info)
    if not seats:
        raise Forbidden("Starting {process} needs the role {role}.", process=parts.name,
                        role=" / ".join(book.label(c) for c in start_roles.roles(start_info)))
    variable = start_variable(start_info.get("assign") or (role.assign if role else None))
    lane_seats = start_roles.lane_seats(start_info, seats)
    if variable is None or not lane_seats:
        # Only an added role's seats (another kind of unit): the case starts from the first; the form gives the rest.
        return seats[0].department_id
    seats = lane_seats
    chosen = payload.get(variable)
    if chosen is not None:
        for seat in seats:
            if seat.department_code == chosen:
                return seat.department_id
        raise InvalidInput("The form has errors.", [
            FieldError(variable, "You are not a {role} of {code}.", "forbidden", {"role": label, "code": chosen})
        ])
    if len(seats) > 1:
        raise InvalidInput("The form has errors.", [
            FieldError(variable, "You belong to several units: choose the one you act for.", "required")
        ])
    payload[variable] = seats[0].department_code
    return seats[0].department_id


def starting_seats(session: Session, ctx: EngineContext, actor: Actor, process_key: str) -> list[Seat]:
    """The seats from which ``actor`` may start the newest version of ``process_key``, by the rule :func:`start`
    applies; none when the process is not deployed."""
    definition = definitions.latest(session, process_key)
    if definition is None:
        return []
    return _start_seats(actor, ctx.parts(session, definition.id).catalog.get("start") or {})


def _start_seats(actor: Actor, start_info: Mapping[str, Any]) -> list[Seat]:
    """The seats holding the lane's role or one ``also_started_by`` adds, the lane's first; every seat when the
    lane names none."""
    return start_roles.seats(actor, start_info)


def start_variable(expression: str | None) -> str | None:
    """The case variable a starter's seat fills in: the start's assignment expression when it is one variable."""
    if not expression:
        return None
    try:
        node = parse(expression)
    except ExpressionInvalid:
        return None
    return node.args[0] if node.op == "var" else None


def _title(payload: Mapping[str, Any], parts: DefinitionParts) -> str:
    for key in ("title", "description", "subject"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:TITLE_LENGTH]
    return parts.name[:TITLE_LENGTH]


def lock(session: Session, instance_id: int) -> ProcessInstance:
    """Load an instance with a row lock (``FOR UPDATE`` on PostgreSQL); NotFound if missing."""
    # populate_existing: the session may hold an older copy; the locked row is the truth.
    open_incidents = (select(func.count()).select_from(Incident)
                      .where(Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN)
                      .scalar_subquery())
    instance = session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .options(with_expression(ProcessInstance.open_incidents, open_incidents))
        .with_for_update(of=ProcessInstance)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if instance is None:
        raise NotFound("Case {id} not found.", id=instance_id)
    return instance


@contextmanager
def mutate(session: Session, ctx: EngineContext, instance_id: int, now: datetime,
           admit: Callable[[ProcessInstance], None] | None = None) -> Iterator[Mutation]:
    """Lock and load an instance, fire due timers, yield it for one action, then save it.

    ``admit`` sees the locked row first and may raise (NotFound, Forbidden), so callers
    who must hide a case, or refuse it, do so before anyone learns whether it still runs.
    """
    instance = lock(session, instance_id)
    if admit is not None:
        admit(instance)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("Case {id} is {status}; it can no longer change.", id=instance_id, status=instance.status.value)
    parts = ctx.parts(session, instance.definition_id)
    run = WorkflowRun.load(ctx.spec_objects(session, instance.definition_id), instance.state,
                           ctx.evaluator, ctx.allow_script_tasks).learn_from(
        ctx.learned.for_process(session, instance.process_key))
    mutation = Mutation(instance, parts, run, ctx.directory(session), instance.open_incidents)
    try:
        with _process_errors():
            # Due timers fire before anyone's input: a deadline that passed wins over a late completion.
            # SpiffWorkflow fires a timer once its instant has passed (due < now), never at it.
            if instance.next_timer_at is not None and instance.next_timer_at < now:
                run.refresh(now)
                sync_human_tasks(session, ctx, instance, parts, run, now, mutation.directory)
            yield mutation
    except ProcessFailed as failure:
        # The action rolls back, but the failed step must not vanish with it: noted here, written
        # as an incident in a transaction of its own once the caller's transaction has rolled back.
        element = failure.params.get("element")
        incidents.note_failure(session, instance_id, element=None if element == "-" else element,
                               reason=failure.params.get("reason"), run=run,
                               element_names=parts.catalog.get("elements", {}), now=now,
                               listeners=ctx.listeners)
        raise
    save(session, ctx, mutation, now)


def save(session: Session, ctx: EngineContext, mutation: Mutation, now: datetime) -> list[HumanTask]:
    """Store the workflow, sync the inbox projection and finish the instance if it ended."""
    instance, run = mutation.instance, mutation.run
    instance_id = instance.id  # read now: a failed flush leaves the row's attributes unreadable
    instance.state = run.dump()
    instance.next_timer_at = run.next_timer_at()
    instance.updated_at = now
    # The revision check runs at the first flush of the instance row, which is usually the
    # autoflush of sync's first query, not the flush below: both must turn into a 409.
    try:
        created = sync_human_tasks(session, ctx, instance, mutation.parts, run, now, mutation.directory)
        _finish_if_done(session, ctx, instance, run, now)
        _watch(session, ctx, instance, mutation.parts, run, now, known_open=mutation.open_incidents)
        session.flush()
    except StaleDataError:
        raise StaleRevision("Case {id} was changed by someone else at the same moment; try again.",
                            id=instance_id) from None
    return created


def _finish_if_done(session: Session, ctx: EngineContext, instance: ProcessInstance, run: WorkflowRun,
                    now: datetime) -> None:
    if run.completed and instance.status == InstanceStatus.RUNNING:
        instance.status = InstanceStatus.COMPLETED
        instance.completed_at = now
        instance.next_timer_at = None
        audit.record(session, "instance_completed", at=now, instance_id=instance.id)
        ctx.listeners.emit(session, HookEvent(TaskHook.INSTANCE_FINISHED, instance, None, now))


@contextmanager
def _process_errors() -> Iterator[None]:
    try:
        yield
    except EngineRunError as error:
        raise ProcessFailed("The process could not continue at {element}: {reason}",
                            element=error.element or "-", reason=error.message) from None


def deliver_message(
    session: Session,
    ctx: EngineContext,
    actor: Actor | None,
    instance_id: int,
    name: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    may_see: Callable[[Session, Actor, ProcessInstance], bool] | None = None,
) -> ProcessInstance:
    """Deliver message ``name`` with ``payload`` to an instance; Conflict if nothing waits for it."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("The form has errors.", [
            FieldError("payload", "Must be {expected}.", "type", {"expected": "object"})
        ])
    def admit(instance: ProcessInstance) -> None:
        if actor is not None and may_see is not None and not may_see(session, actor, instance):
            raise NotFound("Case {id} not found.", id=instance_id)
        if actor is not None and name in RESERVED_MESSAGES:  # its own action checks who may send it, and what
            raise Forbidden("Message {name} is sent through its own action, which checks its rules.", name=name)
        catalog = ctx.parts(session, instance.definition_id).catalog
        if actor is not None and not message_senders.allowed(catalog, name, actor.roles):
            raise Forbidden("Message {name} may be sent only by {roles}.", name=name,
                            roles=", ".join(message_senders.roles_for(catalog, name)))

    with mutate(session, ctx, instance_id, now, admit) as mutation:
        if not mutation.run.send_message(name, payload, now):
            raise Conflict("Case {id} is not waiting for message {name}.", id=instance_id, name=name)
        audit.record(session, "message", at=now, instance_id=instance_id,
                     actor_id=actor.user_id if actor else None, payload={"name": name, "payload": dict(payload)})
    return mutation.instance


def fire_timers(session: Session, ctx: EngineContext, instance_id: int, *, now: datetime) -> ProcessInstance:
    """Load an instance whose timer is due and let the workflow run on (the sweep calls this)."""
    with mutate(session, ctx, instance_id, now) as mutation:
        audit.record(session, "timers_checked", at=now, instance_id=instance_id)
    return mutation.instance


def list_visible(
    session: Session, actor: Actor, *, status: InstanceStatus | None, limit: int, offset: int
) -> tuple[list[ProcessInstance], bool]:
    """Cases the actor may see, newest first, one page at a time."""
    from engine.access import instance_visible

    query = select(ProcessInstance).where(instance_visible(actor))
    if status is not None:
        query = query.where(ProcessInstance.status == status)
    query = query.order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
    rows = list(session.execute(query.limit(limit + 1).offset(offset)).scalars())
    return rows[:limit], len(rows) > limit
