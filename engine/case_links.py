"""Linked cases: a step of one case offers to start a case of another process from it.

A designer declares the offer on a user task with the extension property ``links`` (process
keys, separated by commas). While such a task is open, whoever may read the case and holds a
role that starts the other process (its start lane's, or one its ``also_started_by`` adds) may
start it from the case: the start form comes prefilled with the case's values for the fields
both forms share, and the new case records where it came from, so each case record shows the
other. Every entry point goes through ``check``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import attachments, definitions, start_roles
from engine.access import instance_visible, may_see_instance
from engine.actors import Actor
from engine.case_link_keys import PROPERTY, keys_of
from engine.context import EngineContext
from engine.errors import FieldError, InvalidInput, NotFound
from engine.models import HumanTask, ProcessInstance
from engine.models.instances import InstanceStatus
from engine.models.tasks import ACTIVE_STATUSES

# How many cases started from one case a record lists (newest first).
MAX_SHOWN = 50


@dataclass(frozen=True)
class LinkedCase:
    """A case at the other end of a link, as a case record shows it."""

    id: int
    process_key: str
    title: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class Offer:
    """A process the reader may start from the case now."""

    process_key: str
    name: str


@dataclass(frozen=True)
class Links:
    """Both directions of a case's links, limited to the cases the reader may see."""

    source: LinkedCase | None
    started: list[LinkedCase]


def offered_keys(session: Session, ctx: EngineContext, instance: ProcessInstance) -> list[str]:
    """The process keys the open tasks of a running ``instance`` offer to start from it."""
    if instance.status != InstanceStatus.RUNNING:
        return []
    open_elements = session.execute(
        select(HumanTask.element_id).where(HumanTask.instance_id == instance.id,
                                           HumanTask.status.in_(ACTIVE_STATUSES))
    ).scalars().all()
    elements = ctx.parts(session, instance.definition_id).catalog.get("elements", {})
    keys: list[str] = []
    for element_id in dict.fromkeys(open_elements):
        properties = (elements.get(element_id) or {}).get("properties") or {}
        keys += keys_of(properties.get(PROPERTY))
    return list(dict.fromkeys(keys))


def offers(session: Session, ctx: EngineContext, actor: Actor, instance: ProcessInstance) -> list[Offer]:
    """What ``actor`` may start from ``instance`` now: offered, deployed, and theirs to start."""
    found: list[Offer] = []
    for key in offered_keys(session, ctx, instance):
        definition = definitions.latest(session, key)
        if definition is None:
            continue
        parts = ctx.parts(session, definition.id)
        if start_roles.may_start(actor, parts.catalog.get("start") or {}):
            found.append(Offer(key, parts.name or key))
    return found


def check(session: Session, ctx: EngineContext, actor: Actor, source_id: object, process_key: str) -> None:
    """Refuse a start from case ``source_id`` the reader may not see (404) or that offers no ``process_key``."""
    if not isinstance(source_id, int) or isinstance(source_id, bool) or source_id < 1:
        raise InvalidInput("The form has errors.", [
            FieldError("linked_from", "Give the number of the case this one starts from.", "type", {})])
    source = session.get(ProcessInstance, source_id)
    if source is None or not may_see_instance(session, actor, source):
        raise NotFound("Case {id} not found.", id=source_id)
    if process_key not in offered_keys(session, ctx, source):
        raise InvalidInput("The form has errors.", [FieldError(
            "linked_from", "Case {id} does not offer to start {process} from it now.", "forbidden",
            {"id": source_id, "process": process_key})])


def prefill(session: Session, ctx: EngineContext, actor: Actor, source_id: int, process_key: str) -> dict[str, Any]:
    """The values of case ``source_id`` for the fields the start form of ``process_key`` shares with it.

    Uploads are not carried over: they belong to the case that has them.
    """
    check(session, ctx, actor, source_id, process_key)
    source = session.get(ProcessInstance, source_id)
    parts = ctx.parts(session, definitions.get(session, process_key).id)
    form = parts.form((parts.catalog.get("start") or {}).get("form")) or {}
    fields = set((form.get("properties") or {}).keys()) - set(attachments.fields_of(form))
    data: Mapping[str, Any] = source.case_data if source is not None and isinstance(source.case_data, dict) else {}
    return {name: value for name, value in data.items() if name in fields}


def links(session: Session, actor: Actor, instance: ProcessInstance) -> Links:
    """The case ``instance`` was started from and the cases started from it, those the reader may see."""
    source = None
    if instance.linked_from_id is not None:
        found = session.get(ProcessInstance, instance.linked_from_id)
        if found is not None and may_see_instance(session, actor, found):
            source = _shown(found)
    started = session.execute(
        select(ProcessInstance).where(ProcessInstance.linked_from_id == instance.id, instance_visible(actor))
        .order_by(ProcessInstance.id.desc()).limit(MAX_SHOWN)
    ).scalars().all()
    return Links(source, [_shown(case) for case in started])


def _shown(case: ProcessInstance) -> LinkedCase:
    return LinkedCase(case.id, case.process_key, case.title, str(case.status), case.created_at)
