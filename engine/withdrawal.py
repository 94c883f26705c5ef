"""Withdrawing a case (撤销): the unit that started it takes it back, with a reason everyone can read.

A street blows a whistle by mistake, twice, or the problem resolves itself before the
departments arrive. Withdrawal ends the workflow where it stands: every open task is
cancelled (its deadlines stop with it), the case is marked cancelled, and the reason goes
into the case history. Nothing is deleted; the record stays readable to all who took part.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, instances, start_roles
from engine.access import may_see_instance
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import FieldError, Forbidden, InvalidInput, NotFound
from engine.hooks import HookEvent, TaskHook
from engine.models import InstanceStatus, ProcessInstance, TaskEvent, User
from engine.roles import Capability, Role, role_book

REASON_MIN, REASON_MAX = 2, 500


def may_withdraw(actor: Actor, instance: ProcessInstance, starters: Collection[str]) -> bool:
    """Who started it; a holder of a starting role (``starters``) or its head in the starting unit; an administrator."""
    if actor.can(Capability.ADMINISTER) or instance.started_by_id == actor.user_id:
        return True
    unit = instance.origin_department_id
    if unit is None:
        return False
    # A colleague on the next duty shift, or the street's leader, may take back the street's whistle.
    return any(actor.has_role(code, unit) or actor.heads(code, unit) for code in starters)


def start_role(ctx: EngineContext, session: Session, instance: ProcessInstance) -> Role | None:
    """The role the instance's process asks of whoever starts it (its start lane's), if any."""
    start = ctx.parts(session, instance.definition_id).catalog.get("start") or {}
    return role_book(session).get(start.get("role"))


def starting_roles(ctx: EngineContext, session: Session, instance: ProcessInstance) -> list[str]:
    """The codes of the roles that may start the instance's process: its lane's and those ``also_started_by`` adds."""
    return start_roles.roles(ctx.parts(session, instance.definition_id).catalog.get("start") or {})


def withdraw(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, reason: object, *,
             now: datetime) -> ProcessInstance:
    """Cancel a running case on behalf of ``actor``; 404 if unseen, 403 if not theirs, 409 if no longer running."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise InvalidInput("The form has errors.", [
            FieldError("reason", "Between {low} and {high} characters.", "length",
                       {"low": REASON_MIN, "high": REASON_MAX})
        ])

    def admit(instance: ProcessInstance) -> None:
        if not may_see_instance(session, actor, instance):
            raise NotFound("Case {id} not found.", id=instance_id)
        if not may_withdraw(actor, instance, starting_roles(ctx, session, instance)):
            raise Forbidden("Only the unit that started case {id}, or an administrator, may withdraw it.",
                            id=instance_id)

    with instances.mutate(session, ctx, instance_id, now, admit) as mutation:  # then 409 unless still running
        # Marked before the save so the save does not take the ended workflow for a normal close.
        mutation.instance.status = InstanceStatus.CANCELLED
        mutation.instance.completed_at = now
        mutation.run.cancel(now)
        audit.record(session, "instance_cancelled", at=now, instance_id=instance_id, actor_id=actor.user_id,
                     department_id=mutation.instance.origin_department_id, payload={"reason": text})
    mutation.instance.next_timer_at = None
    ctx.listeners.emit(session, HookEvent(TaskHook.INSTANCE_WITHDRAWN, mutation.instance, None, now,
                                          actor_id=actor.user_id, note=text))
    session.flush()
    return mutation.instance


@dataclass(frozen=True)
class WithdrawalNote:
    """Who withdrew a case, when, and why (from the case history)."""

    at: datetime
    by: str | None
    reason: str


def withdrawal_note(session: Session, instance_id: int) -> WithdrawalNote | None:
    """The withdrawal of a case, if it was withdrawn."""
    found = session.execute(
        select(TaskEvent.at, User.display_name, TaskEvent.payload)
        .outerjoin(User, User.id == TaskEvent.actor_id)
        .where(TaskEvent.instance_id == instance_id, TaskEvent.action == "instance_cancelled")
        .order_by(TaskEvent.id.desc()).limit(1)
    ).first()
    if found is None:
        return None
    payload = found[2] if isinstance(found[2], dict) else {}
    return WithdrawalNote(found[0], found[1], str(payload.get("reason", "")))
