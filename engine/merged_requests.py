"""Merging a request into an open case (合并工单): the same problem, reported again, is not a new case.

The merged request is checked as a start of the case's process would be (the start form, the
roles that may start it), kept in the case's history (``request_merged``) and listed on its
record, so whoever calls the requesters back when the case is done calls every one of them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, duplicate_rules, start_roles
from engine.access import may_see_instance
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.forms import validate_data
from engine.models import InstanceDepartment, InstanceStatus, ProcessInstance, TaskEvent
from engine.task_sync import join_case

ACTION = "request_merged"
MAX_MERGED = 200  # requests one case takes in; more is a sign of a mistake, not of demand


@dataclass(frozen=True)
class MergedRequest:
    """A request merged into a case, as its record lists it."""

    at: datetime
    actor_id: int | None
    data: Mapping[str, Any]


def merge(session: Session, ctx: EngineContext, actor: Actor, instance_id: int, data: Any, *,
          now: datetime) -> None:
    """Keep ``data`` (a start form's answers) as another request of the running case ``instance_id``."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("Case {id} not found.", id=instance_id)
    parts = ctx.parts(session, instance.definition_id)
    start = parts.catalog.get("start") or {}
    seats = start_roles.seats(actor, start)  # whoever may start the process may merge a request instead
    payload = dict(data) if isinstance(data, Mapping) else data
    # A clerk of another channel may not read the case, but may merge into what the duplicate check
    # offered them: a case whose declared fields hold the same values as the request.
    offered = isinstance(payload, dict) and bool(seats) and duplicate_rules.same_problem(
        (parts.element(start.get("element") or "") or {}).get("properties") or {}, payload, instance.case_data or {})
    if not offered and not may_see_instance(session, actor, instance):
        raise NotFound("Case {id} not found.", id=instance_id)
    if not seats:
        raise Forbidden("Merging a request into {process} needs the role that starts it.", process=parts.name)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("Case {id} is no longer open: start a new case instead.", id=instance_id)
    errors = validate_data(parts.form(start.get("form")), payload, department_exists=ctx.directory(session).exists)
    if errors:
        raise InvalidInput("The form has errors.", errors)
    if len(merged_into(session, instance_id)) >= MAX_MERGED:
        raise Conflict("Case {id} already holds {limit} merged requests.", id=instance_id, limit=MAX_MERGED)
    unit = seats[0].department_id
    joined = session.execute(select(InstanceDepartment.department_id).where(
        InstanceDepartment.instance_id == instance_id, InstanceDepartment.department_id == unit)).first()
    if joined is None:  # the merging unit follows the case for its requester
        join_case(session, instance_id, unit)
    audit.record(session, ACTION, at=now, instance_id=instance_id, actor_id=actor.user_id, department_id=unit,
                 payload={"data": payload})


def merged_into(session: Session, instance_id: int) -> list[MergedRequest]:
    """The requests merged into a case, oldest first."""
    rows = session.execute(
        select(TaskEvent.at, TaskEvent.actor_id, TaskEvent.payload)
        .where(TaskEvent.instance_id == instance_id, TaskEvent.action == ACTION)
        .order_by(TaskEvent.id).limit(MAX_MERGED)
    ).all()
    return [MergedRequest(at, actor_id, (payload or {}).get("data") or {}) for at, actor_id, payload in rows]
