"""Case repair for administrators (运维): suspend, resume, retry a failed step, move a token.

Every action names its reason, is refused to anyone but an administrator, and lands in the
case history with what it changed. Suspension holds a case still: no task of it can be
claimed, released or completed, no BPMN timer fires and no deadline rung of its tasks fires.
The clocks keep counting working time while it is held (the citizen still waits); rungs that
came due meanwhile fire at the first sweep after it is resumed (docs/operating.md says why).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import audit, incidents, instances
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from engine.models import InstanceStatus, ProcessInstance
from engine.roles import Capability
from engine.spiff import WorkflowRun, surgery
from engine.spiff.surgery import Token

REASON_MIN, REASON_MAX = 2, 500
MAX_VARIABLES = 50
MAX_VARIABLES_BYTES = 10_000
ELEMENT_ID_MAX = 255
TOKEN_ID_MAX = 64
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def may_repair(actor: Actor) -> bool:
    """Administrators repair cases."""
    return actor.can(Capability.ADMINISTER)


def may_see_repairs(actor: Actor) -> bool:
    """Designers and administrators see where cases stand and what repair would do."""
    return actor.can(Capability.ADMINISTER, Capability.DESIGN)


def checked_reason(reason: object) -> str:
    """The reason, stripped; InvalidInput unless it is 2 to 500 characters."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not REASON_MIN <= len(text) <= REASON_MAX or "\x00" in text:
        raise InvalidInput("The form has errors.", [
            FieldError("reason", "Between {low} and {high} characters.", "length",
                       {"low": REASON_MIN, "high": REASON_MAX})
        ])
    return text


def _require_admin(actor: Actor) -> None:
    if not may_repair(actor):
        raise Forbidden("Only administrators may repair cases.")


def suspend(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, reason: object, *,
            now: datetime) -> ProcessInstance:
    """Hold a running case: nothing of it moves until it is resumed."""
    _require_admin(actor)
    text = checked_reason(reason)
    instance = instances.lock(session, instance_id)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("Case {id} is {status}; only a running case can be suspended.",
                       id=instance_id, status=instance.status.value)
    instance.status = InstanceStatus.SUSPENDED
    instance.suspended_at = now
    instance.updated_at = now
    audit.record(session, "instance_suspended", at=now, instance_id=instance_id, actor_id=actor.user_id,
                 payload={"reason": text})
    session.flush()
    return instance


def resume(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, reason: object, *,
           now: datetime) -> ProcessInstance:
    """Let a suspended case run on; timers and rungs that came due meanwhile fire at the next sweep."""
    _require_admin(actor)
    text = checked_reason(reason)
    instance = instances.lock(session, instance_id)
    if instance.status != InstanceStatus.SUSPENDED:
        raise Conflict("Case {id} is not suspended.", id=instance_id)
    held = (now - instance.suspended_at).total_seconds() if instance.suspended_at else None
    instance.status = InstanceStatus.RUNNING
    instance.suspended_at = None
    instance.updated_at = now
    audit.record(session, "instance_resumed", at=now, instance_id=instance_id, actor_id=actor.user_id,
                 payload={"reason": text, "held_seconds": held})
    session.flush()
    return instance


def checked_variables(values: object) -> dict[str, Any]:
    """Top-level case variables an administrator sets: at most 50 names, 10 kB of JSON."""
    if values is None:
        return {}
    problem = None
    if not isinstance(values, Mapping):
        problem = FieldError("variables", "Must be {expected}.", "type", {"expected": "object"})
    elif len(values) > MAX_VARIABLES:
        problem = FieldError("variables", "At most {limit} variables.", "length", {"limit": MAX_VARIABLES})
    elif bad := [k for k in values if not isinstance(k, str) or not VARIABLE_NAME.match(k)]:
        problem = FieldError("variables", "{name} is not a variable name (letters, digits and _).", "pattern",
                             {"name": str(bad[0])[:64]})
    else:
        try:
            size = len(json.dumps(dict(values), ensure_ascii=False).encode())
        except (TypeError, ValueError):
            size = MAX_VARIABLES_BYTES + 1
        if size > MAX_VARIABLES_BYTES:
            problem = FieldError("variables", "At most {limit} bytes of JSON.", "length",
                                 {"limit": MAX_VARIABLES_BYTES})
    if problem is not None:
        raise InvalidInput("The form has errors.", [problem])
    assert isinstance(values, Mapping)
    return dict(values)


# What a repair that got the case moving again has repaired (an abandoned deadline rung or an
# unreadable timer is not mended by running the engine: those stay open).
REPAIRED_KINDS = (incidents.STUCK, incidents.STEP_FAILED, incidents.TIMER_FAILED)


def resolve_if_moving(session: Session, instance: ProcessInstance, run: WorkflowRun, now: datetime,
                      resolution: str, actor_id: int | None) -> int:
    """Resolve the case's incidents when the repair left it moving; a case still stuck keeps them."""
    if instance.status != InstanceStatus.RUNNING or not run.waits_for_something():
        return 0  # ended: the save resolved everything; stuck: the save noted it again
    return incidents.resolve(session, instance.id, now=now, resolution=resolution, actor_id=actor_id,
                             kinds=REPAIRED_KINDS)


@contextmanager
def _repairing(session: Session, ctx: EngineContext, actor: Actor, instance_id: int,
               now: datetime) -> Iterator[instances.Mutation]:
    """The one change path for a running case, opened for an administrator; suspended cases say so."""
    _require_admin(actor)

    def admit(instance: ProcessInstance) -> None:
        if instance.status == InstanceStatus.SUSPENDED:
            raise Conflict("Case {id} is suspended; resume it first.", id=instance_id)

    with instances.mutate(session, ctx, instance_id, now, admit) as mutation:
        yield mutation


def retry(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, reason: object, *,
          now: datetime, variables: object = None) -> ProcessInstance:
    """Run the engine on the case again (after setting ``variables``); resolves its incidents if it moves.

    A failure raises ProcessFailed with the element and the reason; nothing is kept, so the
    incidents stay open.
    """
    text = checked_reason(reason)
    values = checked_variables(variables)
    with _repairing(session, ctx, actor, instance_id, now) as mutation:
        before = mutation.instance.next_timer_at
        if values:
            surgery.set_variables(mutation.run, values)
        surgery.retry(mutation.run, now)  # a failure becomes ProcessFailed in mutate
        audit.record(session, "case_retried", at=now, instance_id=instance_id, actor_id=actor.user_id,
                     payload={"reason": text, "variables": values,
                              "next_timer_was": before.isoformat() if before else None})
    resolve_if_moving(session, mutation.instance, mutation.run, now, f"retried: {text}", actor.user_id)
    session.flush()
    return mutation.instance


def move(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, token: object, element: object,
         reason: object, *, now: datetime) -> ProcessInstance:
    """Cancel the work where ``token`` stands and start ``element`` of the same process instead."""
    text = checked_reason(reason)
    errors = []
    if not isinstance(token, str) or not 1 <= len(token) <= TOKEN_ID_MAX:
        errors.append(FieldError("token", "Choose where the case stands.", "required"))
    if not isinstance(element, str) or not 1 <= len(element) <= ELEMENT_ID_MAX:
        errors.append(FieldError("element", "Choose the step to start.", "required"))
    if errors:
        raise InvalidInput("The form has errors.", errors)
    assert isinstance(token, str) and isinstance(element, str)
    with _repairing(session, ctx, actor, instance_id, now) as mutation:
        try:
            moved = surgery.move(mutation.run, token, element, now)
        except surgery.MoveRefused as refusal:
            field = "token" if "token" in refusal.params else "element"
            raise InvalidInput("The form has errors.", [
                FieldError(field, refusal.reason, "invalid", refusal.params)]) from None
        audit.record(session, "token_moved", at=now, instance_id=instance_id, actor_id=actor.user_id,
                     payload={"reason": text, "process": moved.process_id, "from": moved.element_id,
                              "from_state": moved.state, "to": element, "task": moved.name})
    resolve_if_moving(session, mutation.instance, mutation.run, now, f"token moved: {text}", actor.user_id)
    session.flush()
    return mutation.instance


@dataclass(frozen=True)
class CaseTokens:
    """Where a case stands and where each of its tokens could go."""

    instance: ProcessInstance
    tokens: list[Token]
    targets: dict[str, list[tuple[str, str]]]  # process id -> (element id, name)
    contexts: dict[str, dict[str, str]]  # token id -> the unit variables its data holds


def where_it_stands(session: Session, ctx: EngineContext, actor: Actor, instance_id: int) -> CaseTokens:
    """The case's tokens for the repair page (designers and administrators)."""
    if not may_see_repairs(actor):
        raise NotFound("Case {id} not found.", id=instance_id)
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("Case {id} not found.", id=instance_id)
    if instance.status not in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED):
        return CaseTokens(instance, [], {}, {})
    run = WorkflowRun.load(ctx.spec_objects(session, instance.definition_id), instance.state,
                           ctx.evaluator, ctx.allow_script_tasks)
    found = surgery.tokens(run)
    targets = {p: surgery.elements(run, p) for p in dict.fromkeys(t.process_id for t in found)}
    unit_variables = ctx.parts(session, instance.definition_id).catalog.get("unit_variables", ())
    contexts = {t.id: {k: v for k in unit_variables if isinstance(v := t.data.get(k), str)} for t in found}
    return CaseTokens(instance, found, targets, contexts)
