"""The action history as the API pages it: per case or across the cases the caller may see.

Departments are given by code (stable for clients), actors by username. The same rule as the
case record decides what a caller may read: the history of a case belongs to its record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from engine import confidential
from engine.access import instance_visible, may_see_instance
from engine.actors import Actor
from engine.errors import NotFound
from engine.models import Department, ProcessInstance, TaskEvent, User


@dataclass(frozen=True)
class HistoryQuery:
    """What to match; empty fields match everything."""

    instance_id: int | None = None
    actor: str | None = None  # username
    action: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    newest_first: bool = True


@dataclass(frozen=True)
class Entry:
    """One action: what, when, who, in which department, on which case and task."""

    id: int
    instance_id: int
    action: str
    at: datetime
    actor: str | None
    actor_name: str | None
    department: str | None
    task_id: int | None
    payload: dict[str, Any]


def page(session: Session, actor: Actor, query: HistoryQuery, *, limit: int,
         offset: int) -> tuple[list[Entry], bool]:
    """One page of matching actions and whether more follow; NotFound for a case the actor may not see."""
    if query.instance_id is not None:
        instance = session.get(ProcessInstance, query.instance_id)
        if instance is None or not may_see_instance(session, actor, instance):
            raise NotFound("Case {id} not found.", id=query.instance_id)
        scope: list[ColumnElement[bool]] = [TaskEvent.instance_id == query.instance_id]
    else:
        scope = [TaskEvent.instance_id.in_(select(ProcessInstance.id).where(instance_visible(actor)))]
    statement = (
        select(TaskEvent.id, TaskEvent.instance_id, TaskEvent.action, TaskEvent.at, User.username,
               User.display_name, Department.code, TaskEvent.task_id, TaskEvent.payload)
        .outerjoin(User, User.id == TaskEvent.actor_id)
        .outerjoin(Department, Department.id == TaskEvent.department_id)
        .where(*scope, *_filters(query))
        # The id is the order actions were written in (``at`` can tie, and a fake clock can even step back).
        .order_by(TaskEvent.id.desc() if query.newest_first else TaskEvent.id.asc())
    )
    rows = session.execute(statement.limit(limit + 1).offset(offset)).all()
    rules = _confidential_rules(session, {row.instance_id for row in rows[:limit]})
    return [Entry(*row[:-1], confidential.shown_payload(rules.get(row.instance_id), actor, row.action, row.payload))
            for row in rows[:limit]], len(rows) > limit


def _confidential_rules(session: Session, instance_ids: set[int]) -> dict[int, Any]:
    """Each case's confidentiality rule (by its version's start form), for the payloads of one page."""
    versions = dict(session.execute(select(ProcessInstance.id, ProcessInstance.definition_id).where(
        ProcessInstance.id.in_(sorted(instance_ids)))).all()) if instance_ids else {}
    by_version = {v: confidential.rule_of(session, v) for v in set(versions.values())}
    return {i: by_version[v] for i, v in versions.items()}


def _filters(query: HistoryQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.actor:
        found.append(TaskEvent.actor_id == select(User.id).where(User.username == query.actor).scalar_subquery())
    if query.action:
        found.append(TaskEvent.action == query.action)
    if query.since is not None:
        found.append(TaskEvent.at >= query.since)
    if query.until is not None:
        found.append(TaskEvent.at < query.until)
    return found
