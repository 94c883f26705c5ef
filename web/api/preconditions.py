"""Optimistic concurrency for the API: ``ETag`` on cases and tasks, ``If-Match`` checked in one place.

A case's tag is its revision (bumped on every save). A task's tag also covers what a claim
changes without saving the case (status, assignee, role), so a client that read a task and
acts on it learns when someone claimed, released or finished it in between. Requests without
``If-Match`` work as before; with it, a stale tag is a 412 and nothing changes.
"""
from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from engine import instances, tasks
from engine.access import may_see_instance
from engine.actors import Actor
from engine.errors import NotFound
from engine.models import HumanTask
from web import problems
from web.i18n import translate

IF_MATCH_SPEC = {"name": "If-Match", "in": "header", "required": False,
                 "description": "The ETag you read; a changed resource answers 412 and nothing changes.",
                 "schema": {"type": "string", "maxLength": 1000}}
ETAG_HEADER = {"ETag": {"description": "The version of what was read; send it back as If-Match.",
                        "schema": {"type": "string"}}}


class PreconditionFailed(HTTPException):
    """The client's If-Match names a version that is no longer current."""

    code = 412
    description = "Precondition failed."


def register(bp: Blueprint) -> None:
    """Answer 412 as a problem document."""
    bp.register_error_handler(PreconditionFailed, _stale)


def _stale(_error: PreconditionFailed) -> Response:
    detail = translate("Someone changed this since you read it (If-Match does not match the current ETag); "
                       "read it again and retry.")
    return problems.problem(412, detail, code="stale")


def case_etag(instance_id: int, revision: int) -> str:
    """The quoted strong tag of a case: its id and revision."""
    return f'"case-{instance_id}-{revision}"'


def task_etag(task: HumanTask, revision: int) -> str:
    """The quoted strong tag of a task: what the task row holds and the revision of its case."""
    parts: list[Any] = [task.id, task.status.value, task.assignee_id, task.role,
                        task.department_id, task.claimed_at, task.completed_at, revision]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:20]
    return f'"task-{task.id}-{digest}"'


def requested() -> bool:
    """Whether the request carries If-Match (only then is anything locked and compared)."""
    return bool(request.headers.get("If-Match"))


def check(current: str) -> None:
    """Raise 412 unless the request's If-Match is absent, ``*`` or names ``current``."""
    if not requested():
        return
    wanted = request.if_match
    if wanted.star_tag or wanted.contains(current.strip('"')):
        return
    raise PreconditionFailed()


def check_case(session: Session, actor: Actor, instance_id: int) -> None:
    """Inside a write unit: lock a case the actor may see and compare its tag (before the action locks it again)."""
    if not requested():
        return
    instance = instances.lock(session, instance_id)
    if not may_see_instance(session, actor, instance):  # a hidden case is a 404, whatever the tag
        raise NotFound("Case {id} not found.", id=instance_id)
    check(case_etag(instance.id, instance.revision))


def check_task(session: Session, actor: Actor, task_id: int) -> None:
    """Inside a write unit: lock the task's case and the task, then compare the task's tag."""
    if not requested():
        return
    task = tasks.visible_task(session, actor, task_id)  # NotFound first: a tag tells nothing about a hidden task
    instance = instances.lock(session, task.instance_id)
    task = tasks.visible_task(session, actor, task_id, lock=True)
    check(task_etag(task, instance.revision))


def tagged(response: Response, etag: str) -> Response:
    """``response`` with its ETag header set."""
    response.headers["ETag"] = etag
    return response
